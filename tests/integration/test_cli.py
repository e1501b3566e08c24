"""The `fourk` command: clear errors, never a traceback; secrets never on argv."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import fourk_cli


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "fourk", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def assert_clean_error(result: subprocess.CompletedProcess[str], needle: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert needle in result.stderr, result.stderr


def test_every_command_has_help() -> None:
    for args in (
        ["--help"],
        ["serve", "--help"],
        ["key", "create", "--help"],
        ["channel", "add", "--help"],
        ["user", "create", "--help"],
        ["sim", "--help"],
    ):
        result = run(*args)
        assert result.returncode == 0 and "Usage:" in result.stdout


def test_missing_data_dir_is_explained(tmp_path: Path) -> None:
    result = run("key", "list", "--data-dir", str(tmp_path / "nope"))
    assert_clean_error(result, "does not exist")
    assert "fourk serve" in result.stderr


def test_unknown_user_and_bad_expiry(tmp_path: Path) -> None:
    fourk_cli(tmp_path, "migrate")
    assert_clean_error(
        run("key", "create", "--user", "ghost", "--data-dir", str(tmp_path)),
        "no user named 'ghost'",
    )
    fourk_cli(tmp_path, "user", "create", "bob")
    assert_clean_error(
        run("key", "create", "--user", "bob", "--expires", "soon", "--data-dir", str(tmp_path)),
        "not like 30d",
    )
    assert_clean_error(run("user", "create", "bob", "--data-dir", str(tmp_path)), "taken")


def test_channel_secret_comes_from_env_not_argv(tmp_path: Path) -> None:
    fourk_cli(tmp_path, "migrate")
    base = [
        "channel",
        "add",
        "up",
        "--kind",
        "openai-responses",
        "--base-url",
        "https://upstream.example/v1",
        "--models",
        "m1",
        "--data-dir",
        str(tmp_path),
    ]
    assert_clean_error(run(*base), "--api-key-env")
    assert_clean_error(run(*base, "--api-key-env", "UNSET_VAR_X"), "not set")
    secret = "sk-upstream-secret-value-123"
    result = run(*base, "--api-key-env", "UP_KEY", env={"UP_KEY": secret})
    assert result.returncode == 0, result.stderr
    listing = fourk_cli(tmp_path, "channel", "list").stdout
    assert "key=set" in listing and secret not in listing
    # the secret is encrypted at rest
    assert secret.encode() not in (tmp_path / "fourk.db").read_bytes()
    assert_clean_error(
        run(
            "channel",
            "add",
            "bad",
            "--kind",
            "carrier-pigeon",
            "--base-url",
            "https://x.example",
            "--models",
            "m",
            "--no-api-key",
            "--data-dir",
            str(tmp_path),
        ),
        "'carrier-pigeon' is not one of",
    )


def test_channel_options_of_its_kind_are_stored_and_others_refused(tmp_path: Path) -> None:
    fourk_cli(tmp_path, "migrate")

    def add(name: str, kind: str, *options: str) -> subprocess.CompletedProcess[str]:
        args = ["channel", "add", name, "--kind", kind, "--base-url", "https://up.example/v1"]
        args += ["--models", "m", "--no-api-key", "--data-dir", str(tmp_path)]
        return run(*args, *(part for option in options for part in ("--option", option)))

    made = add(
        "deepseek",
        "openai-chat",
        "reasoning_back=true",
        "developer_role=developer",
        'extra_body={"stream_options": null}',
    )
    assert made.returncode == 0, made.stderr
    made = add(
        "claude", "anthropic", "max_tokens=16000", "anthropic_version=2023-06-01", "auth=bearer"
    )
    assert made.returncode == 0, made.stderr
    listing = fourk_cli(tmp_path, "channel", "list").stdout
    chat = (
        'options={"reasoning_back": true, "developer_role": "developer", '
        '"extra_body": {"stream_options": null}}'
    )
    claude = 'options={"max_tokens": 16000, "anthropic_version": "2023-06-01", "auth": "bearer"}'
    assert chat in listing and claude in listing
    assert_clean_error(add("x", "openai-chat", "reasoning_back=yes"), "'reasoning_back' must be")
    assert_clean_error(add("x", "anthropic", "max_tokens=0"), "'max_tokens' must be a whole")
    assert_clean_error(add("x", "openai-chat", "thinking=false"), "is for anthropic channels")
    assert_clean_error(add("x", "openai-responses", "colour=red"), "unknown option 'colour'")
    assert_clean_error(add("x", "openai-chat", "reasoning_back"), "is not KEY=VALUE")
    assert "\tx\t" not in fourk_cli(tmp_path, "channel", "list").stdout


def test_keys_are_stored_as_digest_and_ciphertext(tmp_path: Path) -> None:
    fourk_cli(tmp_path, "migrate")
    fourk_cli(tmp_path, "user", "create", "carol")
    key = fourk_cli(tmp_path, "key", "create", "--user", "carol").stdout.strip()
    assert key.startswith("sk-") and len(key) == 51
    assert key.encode() not in (tmp_path / "fourk.db").read_bytes()
    secret_file = tmp_path / "secret.key"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    listing = fourk_cli(tmp_path, "key", "list").stdout
    assert key[:7] in listing and key not in listing


def test_port_in_use_is_explained(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("serve", "--port", str(port), "--data-dir", str(tmp_path))
    assert_clean_error(result, "already in use")


@pytest.mark.parametrize("url", ["postgresql+asyncpg://nobody@127.0.0.1:1/none"])
def test_unreachable_database_is_explained(tmp_path: Path, url: str) -> None:
    result = run("migrate", "--data-dir", str(tmp_path), env={"FOURK_DATABASE_URL": url})
    assert_clean_error(result, "Cannot use the database")
