"""The one-line setup commands of the "Use key" dialog, run for real with sh, bash, dash, zsh…

The POSIX command runs in a temporary HOME against the config.toml people really have (other
providers, profiles, comments, CRLF, multi-line strings); several shells and awks stand in for
macOS's. PowerShell is not installed here, so its command is checked as text; the last test
points the real Codex CLI at fourk with the files the POSIX command wrote.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import tomllib
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fourk.accounts.keys import mint_key
from fourk.codex.config import render_auth_json, render_config_toml
from fourk.codex.setup_command import (
    posix_one_liner,
    powershell_one_liner,
    render_posix_script,
    render_powershell_script,
)
from tests.support.codex import codex_available, run_codex
from tests.support.processes import Gateway, Proc

KEY = mint_key()
URL = "https://relay.example.com"
MODEL = "gpt-5-codex"
OURS = tomllib.loads(render_config_toml(URL, MODEL, MODEL))
BACKUP = re.compile(r"\.bak-\d{8}-\d{6}(-\d+)?$")

# An existing config.toml with everything a user may have: top-level settings (three of them
# ours to replace), a multi-line string holding a "[fake]" line, a nested array whose lines
# start with "[", another provider, an old OpenAI provider with a sub-table, a profile, comments.
RICH = """\
# my Codex settings
approval_policy = "never"
model = "o3"
model_provider = "azure"
notes = '''
[fake]
not a table
'''
matrix = [
  [1, 2],
  [3]
]

# Azure, for work
[model_providers.azure]
name = "Azure"
base_url = "https://example.openai.azure.com/openai"
env_key = "AZURE_OPENAI_API_KEY"
wire_api = "responses"

[model_providers.OpenAI]
name = "OpenAI"
base_url = "https://wrong.example.com/v1"

[model_providers.OpenAI.http_headers]
X-Old = "1"

[profiles.fast]
model = "gpt-5"
model_provider = "azure" # a comment after a value
"""
AZURE = """\
# Azure, for work
[model_providers.azure]
name = "Azure"
base_url = "https://example.openai.azure.com/openai"
env_key = "AZURE_OPENAI_API_KEY"
wire_api = "responses"
"""


def merged(old: str) -> dict[str, object]:
    """What config.toml must parse to once our command has run over `old`."""
    want = tomllib.loads(old.removeprefix("\ufeff"))
    for key in ("model_provider", "model", "review_model"):
        want.pop(key, None)
    providers = want.pop("model_providers", {})
    providers.pop("OpenAI", None)
    return {**OURS, **want, "model_providers": {**providers, **OURS["model_providers"]}}


def which(*argv: str) -> tuple[str, ...]:
    """argv if its program is installed, else a pytest skip."""
    if shutil.which(argv[0]) is None:
        pytest.skip(f"{argv[0]} is not installed")
    return argv


def shim(folder: Path, name: str, body: str) -> str:
    """A PATH that finds `name` in `folder` first, running the sh `body`."""
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / name
    program.write_text(f"#!/bin/sh\n{body}\n")
    program.chmod(0o755)
    return f"{folder}:{os.environ['PATH']}"


def run_setup(
    home: Path,
    *,
    command: str | None = None,
    shell: Sequence[str] = ("sh",),
    codex_home: Path | None = None,
    path: str | None = None,
    script: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Paste the one-liner into `shell` (or feed `script` to it as `| sh` does), as HOME=home."""
    env = {"HOME": str(home), "PATH": path or os.environ["PATH"], "LANG": "C.UTF-8"}
    if codex_home is not None:
        env["CODEX_HOME"] = str(codex_home)
    if script is not None:
        argv, stdin = [*shell], script
    else:
        line = command or posix_one_liner(render_posix_script(URL, MODEL, MODEL, KEY))
        argv, stdin = [*shell, "-c", line], ""
    return subprocess.run(
        argv, input=stdin, env=env, cwd=home, capture_output=True, text=True, timeout=30
    )


def setup_over(tmp_path: Path, old: str | bytes, **kwargs: object) -> Path:
    """Run the command over a ~/.codex/config.toml holding `old`; return the folder."""
    folder = tmp_path / ".codex"
    folder.mkdir(parents=True, exist_ok=True)
    data = old.encode() if isinstance(old, str) else old
    (folder / "config.toml").write_bytes(data)
    done = run_setup(tmp_path, **kwargs)  # type: ignore[arg-type]
    assert done.returncode == 0, done.stderr
    return folder


def backups(folder: Path, name: str) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith(name) and BACKUP.search(p.name))


def assert_rich_merge(folder: Path) -> None:
    text = (folder / "config.toml").read_text()
    assert tomllib.loads(text) == merged(RICH)
    assert text.startswith(render_config_toml(URL, MODEL, MODEL).split("\n\n")[0] + "\n")
    assert AZURE in text  # another provider, with its comment, byte for byte
    assert "wrong.example.com" not in text and "X-Old" not in text
    assert '[profiles.fast]\nmodel = "gpt-5"\nmodel_provider = "azure" # a comment' in text
    [backup] = backups(folder, "config.toml")
    assert backup.read_text() == RICH


# --- the one-liner ---------------------------------------------------------------------------

POSIX_LINE = re.compile(
    r"echo '([A-Za-z0-9+/=]+)' \| sh -c 'base64 -d 2>/dev/null \|\| base64 -D' \| sh"
)


def test_posix_one_liner_is_one_line_of_plain_characters() -> None:
    script = render_posix_script(URL, MODEL, MODEL, KEY)
    match = POSIX_LINE.fullmatch(posix_one_liner(script))
    assert match is not None
    assert base64.b64decode(match[1]).decode() == script


def test_posix_script_shows_exactly_what_it_writes() -> None:
    script = render_posix_script(URL, MODEL, "gpt-5", KEY)
    config = render_config_toml(URL, MODEL, "gpt-5")
    settings_part, provider_part = config.split("\n\n")
    assert f"cat <<'FOURK_END'\n{settings_part}\nFOURK_END\n" in script
    assert f"cat <<'FOURK_END'\n{provider_part}FOURK_END\n" in script
    assert f"cat <<'FOURK_END'\n{render_auth_json(KEY)}FOURK_END\n" in script
    assert script.endswith("\nmain\n")  # nothing happens until the last line has arrived
    awk_program = script.split('awk -v part="$1" \'')[1].split('\' "$2"')[0]
    assert "'" not in awk_program
    commands = render_posix_script(URL, MODEL, MODEL, "sk-0")
    for tool in ("python", "jq", "curl", "wget", "mktemp", "readlink", "sed", "perl"):
        assert not re.search(rf"\b{tool}\b", commands), tool


@pytest.mark.parametrize("shell", [("sh",), ("bash",), ("dash",), ("zsh",), ("busybox", "sh")])
def test_a_fresh_home_gets_exactly_the_rendered_files(tmp_path: Path, shell: tuple[str]) -> None:
    done = run_setup(tmp_path, shell=which(*shell))
    assert done.returncode == 0, done.stderr
    folder = tmp_path / ".codex"
    assert (folder / "config.toml").read_text() == render_config_toml(URL, MODEL, MODEL)
    assert (folder / "auth.json").read_text() == render_auth_json(KEY)
    assert json.loads((folder / "auth.json").read_text()) == {"OPENAI_API_KEY": KEY}
    assert stat.S_IMODE((folder / "auth.json").stat().st_mode) == 0o600
    assert sorted(p.name for p in folder.iterdir()) == ["auth.json", "config.toml"]
    assert done.stdout == f"Wrote {folder}/config.toml and {folder}/auth.json; " + (
        "Codex CLI uses them from its next start.\n"
    )


def test_codex_home_is_honoured(tmp_path: Path) -> None:
    codex_home = tmp_path / "elsewhere" / "codex"
    done = run_setup(tmp_path, codex_home=codex_home)
    assert done.returncode == 0, done.stderr
    assert tomllib.loads((codex_home / "config.toml").read_text()) == OURS
    assert json.loads((codex_home / "auth.json").read_text()) == {"OPENAI_API_KEY": KEY}
    assert not (tmp_path / ".codex").exists()


def test_codex_home_with_an_existing_config(tmp_path: Path) -> None:
    codex_home = tmp_path / "my codex"
    codex_home.mkdir()
    (codex_home / "config.toml").write_text(RICH)
    done = run_setup(tmp_path, codex_home=codex_home)
    assert done.returncode == 0, done.stderr
    assert_rich_merge(codex_home)
    assert not (tmp_path / ".codex").exists()


# --- merging an existing config.toml ---------------------------------------------------------


@pytest.mark.parametrize(
    "shell",
    [("sh",), ("bash",), ("bash", "--posix"), ("dash",), ("posh",), ("zsh",), ("busybox", "sh")],
)
def test_an_existing_config_is_merged_by_every_shell(tmp_path: Path, shell: tuple[str]) -> None:
    script = render_posix_script(URL, MODEL, MODEL, KEY)
    folder = setup_over(tmp_path, RICH, shell=which(*shell), script=script)
    assert_rich_merge(folder)


@pytest.mark.parametrize(
    "awk",
    [("gawk",), ("gawk", "--posix"), ("mawk",), ("original-awk",), ("busybox", "awk")],
    ids=["gawk", "gawk-posix", "mawk", "bwk-awk-as-on-macos", "busybox"],
)
def test_an_existing_config_is_merged_by_every_awk(tmp_path: Path, awk: tuple[str]) -> None:
    path = shim(tmp_path / "bin", "awk", f'exec {" ".join(which(*awk))} "$@"')
    folder = setup_over(tmp_path, RICH, path=path)
    assert_rich_merge(folder)


def test_crlf_and_no_final_newline(tmp_path: Path) -> None:
    old = (
        'approval_policy = "never"\r\nmodel = "o3"\r\n\r\n[model_providers.azure]\r\n'
        'name = "Azure"\r\nbase_url = "https://a.example"\r\n\r\n[profiles.x]\r\nmodel = "o3"'
    )
    folder = setup_over(tmp_path, old)
    assert tomllib.loads((folder / "config.toml").read_text()) == merged(old)
    assert (folder / "config.toml").read_bytes().endswith(b'\r\nmodel = "o3"\n')
    assert backups(folder, "config.toml")[0].read_bytes() == old.encode()


def test_a_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    old = '\ufeffmodel = "o3"\napproval_policy = "never"\n'
    folder = setup_over(tmp_path, old)
    text = (folder / "config.toml").read_text()
    assert "\ufeff" not in text and tomllib.loads(text) == merged(old)


def test_other_ways_of_writing_our_provider_are_replaced(tmp_path: Path) -> None:
    old = (
        'model_providers.OpenAI.base_url = "https://old.example"\n'
        '"model" = "o3"\n'
        "[model_providers]\n"
        'OpenAI = { name = "OpenAI", base_url = "https://old.example" }\n'
        'azure = { name = "Azure" }\n'
        '[ model_providers . "OpenAI" . http_headers ]\n'
        'X = "1"\n'
        "[model_providers.openai_other]\n"
        'name = "other"\n'
    )
    folder = setup_over(tmp_path, old)
    text = (folder / "config.toml").read_text()
    assert "old.example" not in text and 'X = "1"' not in text
    parsed = tomllib.loads(text)
    assert parsed["model_providers"] == {
        "azure": {"name": "Azure"},
        "openai_other": {"name": "other"},
        **OURS["model_providers"],  # type: ignore[dict-item]
    }
    assert parsed["model"] == MODEL


def test_multi_line_strings_of_every_kind_hide_their_brackets(tmp_path: Path) -> None:
    old = (
        'a = """\n[x]\nmodel = "evil"\n\\"""\n[y]\n"""\n'
        "b = '''[z]\n[model_providers.OpenAI]\n'''\n"
        'c = """one line""" # [not]\n'
        'd = """ends with quotes"""""\n'
        "[t]\n"
        'e = """\n[u]\n"""\n'
        'f = ["]", "[", { g = "}" }]\n'
        "h = 1\n"
    )
    folder = setup_over(tmp_path, old)
    assert tomllib.loads((folder / "config.toml").read_text()) == merged(old)


def test_comments_go_with_the_table_below_them(tmp_path: Path) -> None:
    old = 'a = 1\n\n# about azure\n[model_providers.azure]\nname = "Azure"\n'
    folder = setup_over(tmp_path, old)
    text = (folder / "config.toml").read_text()
    assert text == (
        render_config_toml(URL, MODEL, MODEL).replace("\n\n", "\na = 1\n\n")
        + '\n# about azure\n[model_providers.azure]\nname = "Azure"\n'
    )


def test_a_selected_profile_is_pointed_out(tmp_path: Path) -> None:
    (tmp_path / ".codex").mkdir()
    (tmp_path / ".codex" / "config.toml").write_text('profile = "fast"\n[profiles.fast]\n')
    done = run_setup(tmp_path)
    assert done.returncode == 0
    assert "selects a profile" in done.stderr
    assert tomllib.loads((tmp_path / ".codex" / "config.toml").read_text())["profile"] == "fast"


# Pieces of config.toml, each valid on its own, with a unique first key or table.
TOP_PIECES = [
    'approval_policy = "never"',
    'model = "o3"',
    'model_provider = "azure"',
    'review_model = "o3"',
    "# a comment",
    "",
    'notify = ["notify-send", "Codex"]',
    "tui.notifications = true",
    "nested = [\n  [1, 2],\n  [3],\n]",
    "text = '''\n[fake]\n'''",
    '"quoted key" = "[not a table]"',
]
TABLE_PIECES = [
    '[model_providers.azure]\nname = "Azure"\nbase_url = "https://a.example"',
    '# old one\n[model_providers.OpenAI]\nname = "OpenAI"\nbase_url = "https://old.example"',
    '[model_providers.OpenAI.http_headers]\nX-Old = "1"',
    '[profiles.fast]\nmodel = "gpt-5"\nmodel_provider = "azure"',
    '[mcp_servers.gh]\ncommand = "npx"\nargs = [\n  "-y",\n  "gh",\n]\nenv = { A = "1" }',
    "[[hooks]]\nname = 'a'\n\n[[hooks]]\nname = 'b'",
    "[shell_environment_policy]\n# nothing\n",
]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(TOP_PIECES), unique=True),
    st.lists(st.sampled_from(TABLE_PIECES), unique=True),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_any_mix_of_settings_merges_and_stays_put(
    top: list[str], tables: list[str], newline: str, final_newline: bool
) -> None:
    old = "\n".join(top + tables).replace("\n", newline) + (newline if final_newline else "")
    with tempfile.TemporaryDirectory() as tmp:
        folder = setup_over(Path(tmp), old)
        once = (folder / "config.toml").read_text()
        assert tomllib.loads(once) == merged(old)
        setup_over(Path(tmp), once)
        assert (folder / "config.toml").read_text() == once


# --- auth.json, backups, running twice -------------------------------------------------------


def test_an_existing_auth_json_is_replaced_and_kept(tmp_path: Path) -> None:
    folder = tmp_path / ".codex"
    folder.mkdir()
    old_auth = '{"OPENAI_API_KEY": " sk-old \\n", "tokens": {"id": 1}}'
    (folder / "auth.json").write_text(old_auth)
    (folder / "auth.json").chmod(0o644)
    done = run_setup(tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads((folder / "auth.json").read_text()) == {"OPENAI_API_KEY": KEY}
    assert stat.S_IMODE((folder / "auth.json").stat().st_mode) == 0o600
    [backup] = backups(folder, "auth.json")
    assert backup.read_text() == old_auth
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # the old key is not left readable
    assert str(backup) in done.stdout


def test_running_twice_changes_nothing_but_keeps_both_backups(tmp_path: Path) -> None:
    folder = setup_over(tmp_path, RICH)
    first = (folder / "config.toml").read_text()
    assert run_setup(tmp_path).returncode == 0  # within the same second: a distinct name
    assert (folder / "config.toml").read_text() == first
    config_backups = backups(folder, "config.toml")
    assert len(config_backups) == 2 and len(backups(folder, "auth.json")) == 1
    assert {p.read_text() for p in config_backups} == {RICH, first}
    assert sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name) == []


def test_a_symlinked_config_is_written_through(tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    (dotfiles / "codex.toml").write_text(RICH)
    folder = tmp_path / ".codex"
    folder.mkdir()
    (folder / "config.toml").symlink_to(dotfiles / "codex.toml")
    assert run_setup(tmp_path).returncode == 0
    assert (folder / "config.toml").is_symlink()
    assert tomllib.loads((dotfiles / "codex.toml").read_text()) == merged(RICH)


def test_a_failure_says_so_and_leaves_the_config(tmp_path: Path) -> None:
    folder = tmp_path / ".codex"
    (folder / "config.toml").mkdir(parents=True)
    done = run_setup(tmp_path)
    assert done.returncode == 1
    assert "Codex CLI setup failed" in done.stderr and "is a folder" in done.stderr
    assert not (folder / "auth.json").exists()


def test_a_cut_off_paste_does_nothing(tmp_path: Path) -> None:
    line = posix_one_liner(render_posix_script(URL, MODEL, MODEL, KEY))
    match = POSIX_LINE.fullmatch(line)
    assert match is not None
    payload = match[1]
    cut = line.replace(payload, payload[: len(payload) * 9 // 10 // 4 * 4])
    run_setup(tmp_path, command=cut)
    assert not (tmp_path / ".codex").exists()


def test_old_macos_base64_that_only_knows_dash_capital_d(tmp_path: Path) -> None:
    real = shutil.which("base64")
    body = f'[ "$1" = -D ] || {{ echo "base64: invalid option" >&2; exit 64; }}\nexec {real} -d'
    path = shim(tmp_path / "bin", "base64", body)
    done = run_setup(tmp_path, path=path)
    assert done.returncode == 0, done.stderr
    assert tomllib.loads((tmp_path / ".codex" / "config.toml").read_text()) == OURS


# --- awkward input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_url", "model"),
    [
        ("https://relay.example.com/it's", "it's"),
        ('https://relay.example.com/"quoted"', 'say "hi"'),
        ("https://relay.example.com/$HOME", "$(touch pwned)"),
        ("https://relay.example.com/a b", "`touch pwned` and \\ back\\slash"),
        ("https://relay.example.com", "FOURK_END"),
        ("https://relay.example.com", "模型 ü ‘quoted’ '@"),
    ],
)
def test_awkward_urls_and_models_are_written_verbatim(
    tmp_path: Path, base_url: str, model: str
) -> None:
    script = render_posix_script(base_url, model, model, KEY)
    for shell in (("sh",), ("bash",), ("zsh",)):
        if shutil.which(shell[0]):
            done = run_setup(tmp_path, command=posix_one_liner(script), shell=shell)
            assert done.returncode == 0, done.stderr
    parsed = tomllib.loads((tmp_path / ".codex" / "config.toml").read_text())
    assert parsed["model"] == parsed["review_model"] == model
    assert parsed["model_providers"]["OpenAI"]["base_url"] == base_url
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    "key",
    ["", "sk-", "sk-abc def", "sk-abc'def", 'sk-abc"', "sk-abc\ndef", "sk-abc$x", "abc", "sk-ü"],
)
@pytest.mark.parametrize("render", [render_posix_script, render_powershell_script])
def test_keys_of_another_shape_are_refused(key: str, render: object) -> None:
    with pytest.raises(ValueError, match="API key"):
        render(URL, MODEL, MODEL, key)  # type: ignore[operator]


def test_surrounding_whitespace_of_a_key_is_dropped() -> None:
    script = render_posix_script(URL, MODEL, MODEL, f" {KEY}\n")
    assert f'"OPENAI_API_KEY": "{KEY}"\n' in script


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("model", ""),
        ("model", "a\nb"),
        ("model", "a\x00b"),
        ("model", "a\u2028b"),
        ("model", "a\ud800b"),
        ("base_url", " "),
        ("base_url", "https://h/\r"),
        ("review_model", "a\x85b"),
    ],
)
@pytest.mark.parametrize("render", [render_posix_script, render_powershell_script])
def test_control_characters_are_refused(field: str, value: str, render: object) -> None:
    args = {"base_url": URL, "model": MODEL, "review_model": MODEL, "api_key": KEY, field: value}
    with pytest.raises(ValueError, match=field):
        render(**args)  # type: ignore[operator]


# --- PowerShell (not installed here: checked as text) ----------------------------------------

POWERSHELL_LINE = re.compile(
    r'powershell -NoProfile -Command "& \(\[scriptblock\]::Create\(\[Text\.Encoding\]::UTF8'
    r"\.GetString\(\[Convert\]::FromBase64String\('([A-Za-z0-9+/=]+)'\)\)\)\)\""
)
HERE_STRING = re.compile(r"^\$(\w+) = @'\n(.*?)\n'@$", re.MULTILINE | re.DOTALL)


def powershell_here_strings(script: str) -> dict[str, str]:
    return {name: body for name, body in HERE_STRING.findall(script)}


def test_powershell_one_liner_decodes_to_the_script() -> None:
    script = render_powershell_script(URL, MODEL, MODEL, KEY)
    line = powershell_one_liner(script)
    match = POWERSHELL_LINE.fullmatch(line)
    assert match is not None, line[:200]
    assert base64.b64decode(match[1]).decode() == script
    assert "\n" not in line and "$" not in line and "`" not in line
    assert len(line) < 32_767  # Windows' limit for one command line


@pytest.mark.parametrize("model", [MODEL, "it's '@ \"@ $(x) `n ‘’ 模型"])
def test_powershell_script_writes_exactly_the_rendered_files(model: str) -> None:
    script = render_powershell_script(URL, model, "gpt-5", KEY)
    parts = powershell_here_strings(script)
    assert sorted(parts) == ["ourAuth", "ourProvider", "ourSettings"]
    config = parts["ourSettings"] + "\n\n" + parts["ourProvider"] + "\n"
    assert config == render_config_toml(URL, model, "gpt-5")
    assert parts["ourAuth"] + "\n" == render_auth_json(KEY)


def test_powershell_script_does_what_the_posix_one_does() -> None:
    script = render_powershell_script(URL, MODEL, MODEL, KEY)
    for needle in (
        "$env:CODEX_HOME",
        "[IO.Path]::Combine($env:USERPROFILE, '.codex')",
        "[IO.Directory]::CreateDirectory($dir)",
        "'config.toml'",
        "'auth.json'",
        '"$file.bak-$stamp"',
        "ToString('yyyyMMdd-HHmmss')",
        "[IO.File]::Copy($file, $bak)",
        "[Text.UTF8Encoding]::new($false)",  # UTF-8 without BOM
        "[IO.File]::WriteAllText($tmp,",
        "[IO.File]::Replace($tmp, $file,",
        "'model_providers.OpenAI'",
        "'model_provider', 'model', 'review_model'",
    ):
        assert needle in script, needle
    for cmdlet in ("Set-Content", "Out-File", "Add-Content", "-Encoding", "Invoke-Expression"):
        assert cmdlet not in script


def powershell_code(script: str) -> str:
    """The script without here-strings, strings and comments (a rough PowerShell tokenizer)."""
    text, code, i = HERE_STRING.sub("", script), [], 0
    while i < len(text):
        char = text[i]
        if char == "#":  # a comment, to the end of the line
            i = text.find("\n", i) if "\n" in text[i:] else len(text)
        elif char == "'":  # a verbatim string: '' stands for '
            i += 1
            while i < len(text) and (text[i] != "'" or text[i + 1 : i + 2] == "'"):
                i += 2 if text[i] == "'" else 1
            i += 1
        elif char == '"':  # an expandable string: ` escapes
            i += 1
            while i < len(text) and text[i] != '"':
                i += 2 if text[i] == "`" else 1
            i += 1
        else:
            code.append(char)
            i += 1
    return "".join(code)


def test_powershell_script_brackets_balance() -> None:
    """A rough syntax check: outside strings and comments every bracket is closed in order."""
    code = powershell_code(render_powershell_script(URL, MODEL, MODEL, KEY))
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[str] = []
    for char in code:
        if char in "([{":
            stack.append(char)
        elif char in pairs:
            assert stack and stack.pop() == pairs[char], code
    assert stack == []
    assert "Install-CodexConfig" in code and "'" not in code and '"' not in code


# --- the real Codex CLI with the files the command wrote -------------------------------------


@pytest.mark.e2e
@pytest.mark.skipif(not codex_available(), reason="run `npm ci --prefix tests` first")
def test_codex_runs_with_what_the_command_wrote(
    gateway: Gateway, sim: Proc, tmp_path: Path
) -> None:
    codex_home = tmp_path / "codex-home"
    codex_home.mkdir()
    (codex_home / "config.toml").write_text(
        'model_provider = "azure"\nmodel = "o3"\napproval_policy = "never"\n\n'
        '[model_providers.azure]\nname = "Azure"\nbase_url = "http://127.0.0.1:9/openai"\n'
        'wire_api = "responses"\n\n[profiles.fast]\nmodel = "gpt-5"\n'
    )
    line = posix_one_liner(
        render_posix_script(gateway.url, "gpt-5-codex", "gpt-5-codex", gateway.key)
    )
    done = run_setup(tmp_path, command=line, codex_home=codex_home)
    assert done.returncode == 0, done.stderr
    before = len(gateway.logs())
    run = run_codex(codex_home, tmp_path / "work", "run: echo setup-command-ok")
    assert run.returncode == 0, run.stderr
    items = [e["item"] for e in run.events if e.get("type") == "item.completed"]
    outputs = [
        str(item["aggregated_output"])
        for item in items
        if isinstance(item, dict) and item.get("type") == "command_execution"
    ]
    assert outputs and "setup-command-ok" in outputs[0]
    assert run.messages and "setup-command-ok" in run.messages[-1]
    rows = gateway.logs()[before:]
    assert rows and all(row["status"] == 200 for row in rows)
