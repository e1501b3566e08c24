"""One-line commands that write Codex CLI's config.toml and auth.json safely (pure).

The dashboard's "Use key" dialog shows one command per system. macOS / Linux, and Windows with
WSL (run inside WSL, where Codex reads the Linux home, not %USERPROFILE%), paste
`posix_one_liner(render_posix_script(...))`; native Windows pastes
`powershell_one_liner(render_powershell_script(...))` into PowerShell. Both one-liners carry
their script base64-encoded, so no character of a URL, model name or key can be misread by the
user's shell; the dialog shows the readable script itself under "what this does".

Both scripts do the same: create the folder (`$CODEX_HOME`, else `~/.codex` or
`%USERPROFILE%\\.codex`), copy each existing file to `FILE.bak-YYYYMMDD-HHMMSS`, merge config.toml
and write auth.json through a temporary file in the same folder that is then moved into place.
The merge keeps every other setting, provider, profile and comment, byte for byte:

    our model_provider, model, review_model   (the user's own values for these are dropped)
    the user's other top-level settings       (TOML: they must stay above every [table])
    our [model_providers.OpenAI] table        (an old one and its sub-tables are dropped)
    the user's other tables

It reads config.toml line by line, following multi-line strings and brackets so that a `[x]`
inside them is not taken for a table. The written text is exactly `render_config_toml` (split
at our table) and `render_auth_json`.
"""

from __future__ import annotations

import base64
import re
import unicodedata
from dataclasses import dataclass

from fourk.codex.config import render_auth_json, render_config_toml

_KEY = re.compile(r"sk-[A-Za-z0-9_-]+")
_PROVIDER_HEADER = "[model_providers.OpenAI]\n"
_PLACEHOLDER = re.compile(r"@@([A-Z]+)@@")
_HEREDOC_END = "FOURK_END"
# control characters, lone surrogates, line and paragraph separators: never in a URL or name
_REJECTED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
# what a line we embed may start with (so it can end neither a here-document nor a here-string)
_SAFE_LINE_START = re.compile(r"[A-Za-z\[{} ]")

_POSIX_SCRIPT = r"""#!/bin/sh
# Sets up Codex CLI: writes config.toml and auth.json in $CODEX_HOME (default ~/.codex).
# Each existing file is first copied to FILE.bak-YYYYMMDD-HHMMSS. config.toml keeps your other
# settings, providers, profiles and comments: our model_provider, model and review_model go
# first, then your other top-level settings, then our [model_providers.OpenAI] table (in place
# of an old one), then your other tables. Needs only sh, awk, cp, mv, mkdir, chmod and date.

our_settings() {
    cat <<'FOURK_END'
@@SETTINGS@@
FOURK_END
}

our_provider() {
    cat <<'FOURK_END'
@@PROVIDER@@
FOURK_END
}

our_auth() {
    cat <<'FOURK_END'
@@AUTH@@
FOURK_END
}

# old_lines PART FILE: the lines of the old config.toml FILE that stay in PART: "top" (your
# top-level settings but ours) or "tables" (your tables but [model_providers.OpenAI] and its
# sub-tables). Comments and blank lines above a table go with that table.
old_lines() {
    LC_ALL=C awk -v part="$1" '
    BEGIN { DQ = "\""; SQ = "\047"; Q3 = DQ DQ DQ; P = "model_providers.OpenAI"; own = "top" }
    # follow multi-line strings and open brackets from line to line
    function scan(s,    i, n, c, k) {
        n = length(s)
        for (i = 1; i <= n; i++) {
            c = substr(s, i, 1)
            if (ml != "") {
                if (c == "\\" && ml == Q3) i++
                else if (substr(s, i, 3) == ml) {
                    for (k = 0; k < 2 && substr(s, i + 3, 1) == c; k++) i++
                    i += 2; ml = ""
                }
            } else if (c == "#") return
            else if ((c == DQ || c == SQ) && substr(s, i, 3) == (c c c)) { ml = c c c; i += 2 }
            else if (c == DQ || c == SQ) {
                for (i++; i <= n && substr(s, i, 1) != c; i++)
                    if (c == DQ && substr(s, i, 1) == "\\") i++
            } else if (c == "[" || c == "{") depth++
            else if ((c == "]" || c == "}") && depth > 0) depth--
        }
    }
    # the dotted key a line starts with, unquoted and without blanks
    function keyname(s,    i, n, c, j, r) {
        n = length(s); r = ""
        for (i = 1; i <= n; i++) {
            c = substr(s, i, 1)
            if (c == DQ || c == SQ) {
                for (j = i + 1; j <= n && substr(s, j, 1) != c; j++) continue
                r = r substr(s, i + 1, j - i - 1); i = j
            } else if (c == "=" || c == "]" || c == "#") break
            else if (c != " " && c != "\t") r = r c
        }
        return r
    }
    function under(k, p) { return k == p || index(k, p ".") == 1 }
    # print a line meant for part TO; no blank lines at the end of "top" or the start of "tables"
    function emit(line, to) {
        if (to != part) return
        if (line ~ /^[ \t\r]*$/) {
            if (part == "top") held = held line "\n"
            else if (started) print line
            return
        }
        if (part == "top") { printf "%s", held; held = "" }
        else if (!started) { print ""; started = 1 }
        print line
    }
    function flush(to,    i) { for (i = 0; i < np; i++) emit(pend[i], to); np = 0 }
    NR == 1 && substr($0, 1, 3) == "\357\273\277" { $0 = substr($0, 4) }
    {
        t = $0; sub(/\r$/, "", t)
        if (ml != "" || depth > 0) { emit($0, cur); scan(t); next }
        if (t ~ /^[ \t]*$/ || t ~ /^[ \t]*#/) { pend[np++] = $0; next }
        if (t ~ /^[ \t]*\[/) {
            s = t; sub(/^[ \t]*\[+/, "", s); table = keyname(s)
            cur = under(table, P) ? "drop" : "tables"
            flush(cur == "tables" ? cur : own); own = cur
        } else {
            flush(own); cur = own; k = keyname(t)
            if (table == "" && (k == "model_provider" || k == "model" || k == "review_model"))
                cur = "drop"
            if (table == "" && under(k, P)) cur = "drop"
            if (table == "model_providers" && under(k, "OpenAI")) cur = "drop"
            if (table == "" && k == "profile" && part == "top")
                print "Note: config.toml selects a profile; its model settings win." > "/dev/stderr"
        }
        emit($0, cur); scan(t)
    }
    END { flush(own) }
    ' "$2"
}

fail() {
    printf 'Codex CLI setup failed: %s\n' "$1" >&2
    exit 1
}

# backup FILE: copy FILE, if there is one, to FILE.bak-<time> (never over an older copy)
backup() {
    [ -e "$1" ] || return 0
    bak=$1.bak-$stamp
    n=1
    while [ -e "$bak" ]; do
        bak=$1.bak-$stamp-$n
        n=$((n + 1))
    done
    cp "$1" "$bak" || fail "could not copy $1 to $bak"
    saved="$saved $bak"
}

# place TMP FILE: move TMP into FILE's place (or write through FILE if it is a symlink)
place() {
    if [ -L "$2" ]; then
        cat "$1" >"$2" && rm -f "$1"
    else
        mv -f "$1" "$2"
    fi || { rm -f "$1"; fail "could not write $2"; }
}

main() {
    umask 077
    if [ -n "${CODEX_HOME:-}" ]; then dir=$CODEX_HOME
    elif [ -n "${HOME:-}" ]; then dir=$HOME/.codex
    else fail "HOME is not set"; fi
    cfg=$dir/config.toml
    auth=$dir/auth.json
    stamp=$(date +%Y%m%d-%H%M%S)
    saved=
    mkdir -p "$dir" || fail "could not create $dir"
    [ ! -d "$cfg" ] || fail "$cfg is a folder"
    old=$cfg
    [ -f "$old" ] || old=/dev/null
    backup "$cfg"
    backup "$auth"
    tmp=$cfg.tmp-$$
    { our_settings && old_lines top "$old" && echo && our_provider && old_lines tables "$old"; } \
        >"$tmp" || { rm -f "$tmp"; fail "could not write $tmp"; }
    place "$tmp" "$cfg"
    tmp=$auth.tmp-$$
    { our_auth >"$tmp" && chmod 600 "$tmp"; } || { rm -f "$tmp"; fail "could not write $tmp"; }
    place "$tmp" "$auth"
    printf 'Wrote %s and %s; Codex CLI uses them from its next start.\n' "$cfg" "$auth"
    [ -z "$saved" ] || printf 'Copies of the old files:%s\n' "$saved"
}

main
"""

_POWERSHELL_SCRIPT = r'''# Sets up Codex CLI: writes config.toml and auth.json in $env:CODEX_HOME
# (default %USERPROFILE%\.codex). Each existing file is first copied to FILE.bak-YYYYMMDD-HHMMSS.
# config.toml keeps your other settings, providers, profiles and comments: our model_provider,
# model and review_model go first, then your other top-level settings, then our
# [model_providers.OpenAI] table (in place of an old one), then your other tables.
# Uses only .NET calls, so it runs under any execution policy; files are UTF-8 without BOM.
$ErrorActionPreference = 'Stop'

$ourSettings = @'
@@SETTINGS@@
'@
$ourProvider = @'
@@PROVIDER@@
'@
$ourAuth = @'
@@AUTH@@
'@

function Test-At([string]$s, [int]$i, [string]$t) {
    (($i + $t.Length) -le $s.Length) -and ($s.Substring($i, $t.Length) -ceq $t)
}

# Follows multi-line strings and open brackets from line to line.
function Step-Line($st, [string]$s) {
    for ($i = 0; $i -lt $s.Length; $i++) {
        $c = [string]$s[$i]
        if ($st.ml) {
            if ($c -eq '\' -and $st.ml -eq '"""') { $i++ }
            elseif (Test-At $s $i $st.ml) {
                for ($k = 0; $k -lt 2 -and (Test-At $s ($i + 3) $c); $k++) { $i++ }
                $i += 2; $st.ml = ''
            }
        }
        elseif ($c -eq '#') { return }
        elseif (($c -eq '"' -or $c -eq "'") -and (Test-At $s $i ($c * 3))) {
            $st.ml = $c * 3; $i += 2
        }
        elseif ($c -eq '"' -or $c -eq "'") {
            for ($i++; $i -lt $s.Length -and [string]$s[$i] -ne $c; $i++) {
                if ($c -eq '"' -and [string]$s[$i] -eq '\') { $i++ }
            }
        }
        elseif ($c -eq '[' -or $c -eq '{') { $st.depth += 1 }
        elseif (($c -eq ']' -or $c -eq '}') -and $st.depth -gt 0) { $st.depth -= 1 }
    }
}

# The dotted key a line starts with, unquoted and without blanks.
function Get-KeyName([string]$s) {
    $r = ''
    for ($i = 0; $i -lt $s.Length; $i++) {
        $c = [string]$s[$i]
        if ($c -eq '"' -or $c -eq "'") {
            $j = $s.IndexOf([char]$c, $i + 1)
            if ($j -lt 0) { $j = $s.Length }
            $r += $s.Substring($i + 1, $j - $i - 1); $i = $j
        }
        elseif ($c -eq '=' -or $c -eq ']' -or $c -eq '#') { break }
        elseif ($c -ne ' ' -and $c -ne "`t") { $r += $c }
    }
    $r
}

function Test-Under([string]$k, [string]$p) {
    ($k -ceq $p) -or $k.StartsWith($p + '.', [StringComparison]::Ordinal)
}

# Keeps a line in part $to ('top', 'tables' or 'drop'); no blank lines start 'tables'.
function Add-Line($st, [string]$line, [string]$to) {
    if ($to -eq 'drop') { return }
    if ($to -eq 'tables' -and $st.tables.Count -eq 0 -and $line -match '^[ \t\r]*$') { return }
    $st[$to].Add($line)
}

function Move-Pending($st, [string]$to) {
    foreach ($p in $st.pend) { Add-Line $st $p $to }
    $st.pend = @()
}

# Sorts the lines of the old config.toml into $st.top and $st.tables (see Add-Line).
function Split-Config([string]$text) {
    $st = @{ ml = ''; depth = 0; own = 'top'; cur = 'top'; table = ''; pend = @()
        top = [Collections.Generic.List[string]]::new()
        tables = [Collections.Generic.List[string]]::new() }
    if ($text.Length -eq 0) { return $st }
    $text = $text -replace '\n\z', ''  # a final newline ends the last line, it starts none
    foreach ($line in ($text -split "`n")) {
        $t = $line.TrimEnd("`r")
        if ($st.ml -or $st.depth -gt 0) { Add-Line $st $line $st.cur; Step-Line $st $t; continue }
        if ($t -match '^[ \t]*(#|$)') { $st.pend += $line; continue }
        if ($t -match '^[ \t]*\[') {
            $st.table = Get-KeyName ($t -replace '^[ \t]*\[+', '')
            $new = 'tables'
            if (Test-Under $st.table 'model_providers.OpenAI') { $new = 'drop' }
            $to = $st.own
            if ($new -eq 'tables') { $to = 'tables' }
            Move-Pending $st $to; $st.own = $new; $st.cur = $new
        }
        else {
            Move-Pending $st $st.own; $st.cur = $st.own; $k = Get-KeyName $t
            $atTop = $st.table -ceq ''
            if ($atTop -and ('model_provider', 'model', 'review_model' -ccontains $k)) {
                $st.cur = 'drop'
            }
            if ($atTop -and (Test-Under $k 'model_providers.OpenAI')) { $st.cur = 'drop' }
            if ($st.table -ceq 'model_providers' -and (Test-Under $k 'OpenAI')) { $st.cur = 'drop' }
            if ($atTop -and $k -ceq 'profile') {
                [Console]::WriteLine('Note: config.toml selects a profile; its model settings win.')
            }
        }
        Add-Line $st $line $st.cur; Step-Line $st $t
    }
    Move-Pending $st $st.own
    $top = $st.top
    while ($top.Count -gt 0 -and $top[$top.Count - 1] -match '^[ \t\r]*$') {
        $top.RemoveAt($top.Count - 1)
    }
    $st
}

function Join-Lines($lines) {
    if ($lines.Count -eq 0) { return '' }
    ($lines -join "`n") + "`n"
}

# Copies $file, if there is one, to $file.bak-<time> (never over an older copy); returns the copy.
function Backup-File([string]$file, [string]$stamp) {
    if (-not [IO.File]::Exists($file)) { return }
    $bak = "$file.bak-$stamp"; $n = 1
    while ([IO.File]::Exists($bak)) { $bak = "$file.bak-$stamp-$n"; $n++ }
    [IO.File]::Copy($file, $bak)
    $bak
}

# Writes $text to a temporary file next to $file, then moves it into place.
function Write-Whole([string]$file, [string]$text) {
    $tmp = "$file.tmp-$PID"
    try {
        [IO.File]::WriteAllText($tmp, $text, [Text.UTF8Encoding]::new($false))
        if ([IO.File]::Exists($file)) { [IO.File]::Replace($tmp, $file, [NullString]::Value) }
        else { [IO.File]::Move($tmp, $file) }
    }
    finally { if ([IO.File]::Exists($tmp)) { [IO.File]::Delete($tmp) } }
}

function Install-CodexConfig {
    $dir = $env:CODEX_HOME
    if (-not $dir) { $dir = [IO.Path]::Combine($env:USERPROFILE, '.codex') }
    $cfg = [IO.Path]::Combine($dir, 'config.toml'); $auth = [IO.Path]::Combine($dir, 'auth.json')
    $stamp = [DateTime]::Now.ToString('yyyyMMdd-HHmmss')
    [void][IO.Directory]::CreateDirectory($dir)
    $old = ''
    if ([IO.File]::Exists($cfg)) { $old = [IO.File]::ReadAllText($cfg) }
    $saved = @(Backup-File $cfg $stamp) + @(Backup-File $auth $stamp)
    $parts = Split-Config $old
    $tables = ''
    if ($parts.tables.Count -gt 0) { $tables = "`n" + (Join-Lines $parts.tables) }
    $new = (Fix-Text $ourSettings) + (Join-Lines $parts.top) + "`n"
    $new += (Fix-Text $ourProvider) + $tables
    Write-Whole $cfg $new
    Write-Whole $auth (Fix-Text $ourAuth)
    [Console]::WriteLine("Wrote $cfg and $auth; Codex CLI uses them from its next start.")
    if ($saved.Count -gt 0) {
        [Console]::WriteLine('Copies of the old files: ' + ($saved -join ' '))
    }
}

# A here-string's text with LF line ends and a final newline, however this script was saved.
function Fix-Text([string]$text) { ($text -replace "`r`n", "`n") + "`n" }

try { Install-CodexConfig }
catch { [Console]::Error.WriteLine('Codex CLI setup failed: ' + $_.Exception.Message); exit 1 }
'''


@dataclass(frozen=True)
class _Contents:
    """What the scripts write: config.toml split at our table, and auth.json."""

    settings: str  # model_provider, model, review_model
    provider: str  # the [model_providers.OpenAI] table
    auth: str


def _check_text(name: str, value: str) -> None:
    if not value.strip():
        raise ValueError(f"{name} is empty")
    for char in value:
        if unicodedata.category(char) in _REJECTED_CATEGORIES:
            raise ValueError(f"{name} contains the control character U+{ord(char):04X}")


def _check_key(api_key: str) -> None:
    if not _KEY.fullmatch(api_key.strip()):
        raise ValueError("the API key must be sk- followed by letters, digits, - or _ only")


def _contents(base_url: str, model: str, review_model: str, api_key: str) -> _Contents:
    _check_text("base_url", base_url)
    _check_text("model", model)
    if review_model:
        _check_text("review_model", review_model)
    _check_key(api_key)
    config = render_config_toml(base_url, model, review_model)
    settings, header, table = config.partition("\n" + _PROVIDER_HEADER)
    if not header or "\n\n" in settings + table:
        raise AssertionError("render_config_toml no longer has the layout this module splits")
    return _Contents(settings, _PROVIDER_HEADER + table, render_auth_json(api_key))


def _embed(text: str) -> str:
    """`text` without its final newline, checked to be safe in a here-document/here-string."""
    for line in text.splitlines():
        if line == _HEREDOC_END or not _SAFE_LINE_START.match(line):
            raise AssertionError(f"cannot embed the line {line!r}")
    return text.removesuffix("\n")


def _fill(template: str, contents: _Contents) -> str:
    values = {
        "SETTINGS": _embed(contents.settings),
        "PROVIDER": _embed(contents.provider),
        "AUTH": _embed(contents.auth),
    }
    # one pass, so text from a value is never itself taken for a placeholder
    return _PLACEHOLDER.sub(lambda match: values[match[1]], template)


def render_posix_script(base_url: str, model: str, review_model: str, api_key: str) -> str:
    """The `sh` script for macOS, Linux and WSL. Raises ValueError for an unusable input."""
    return _fill(_POSIX_SCRIPT, _contents(base_url, model, review_model, api_key))


def posix_one_liner(script: str) -> str:
    """One line for bash, zsh, fish or sh: decode the script (GNU, BSD or old macOS base64), run it.

    The script only acts on its last line, so a cut-off paste does nothing.
    """
    payload = base64.b64encode(script.encode()).decode("ascii")
    return f"echo '{payload}' | sh -c 'base64 -d 2>/dev/null || base64 -D' | sh"


def render_powershell_script(base_url: str, model: str, review_model: str, api_key: str) -> str:
    """The PowerShell 5.1+ script for native Windows. Raises ValueError for an unusable input."""
    return _fill(_POWERSHELL_SCRIPT, _contents(base_url, model, review_model, api_key))


def powershell_one_liner(script: str) -> str:
    """One line for PowerShell: a fresh Windows PowerShell decodes the script and runs it.

    The script travels as UTF-8 base64 (half the length of -EncodedCommand's UTF-16: about
    9,600 characters, under Windows' 32,767 but over cmd's 8,191), inside a double-quoted
    argument holding no `$`, backtick or double quote, so PowerShell passes it on unchanged.
    The script uses only .NET calls, so no execution policy or profile gets in its way, and a
    failure inside it ends that child PowerShell, not the user's window.
    """
    payload = base64.b64encode(script.encode()).decode("ascii")
    run = f"[Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('{payload}'))"
    return f'powershell -NoProfile -Command "& ([scriptblock]::Create({run}))"'
