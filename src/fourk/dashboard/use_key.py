"""What the Use key dialog shows: per system, the paths, both files and the one-line command.

The text of the files comes from `fourk.codex` (the same code the CLI's --demo banner uses),
so what a person copies is what the tests run the real Codex with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fourk.accounts.records import ApiKey
from fourk.codex.config import render_auth_json, render_config_toml
from fourk.codex.setup_command import (
    posix_one_liner,
    powershell_one_liner,
    render_posix_script,
    render_powershell_script,
)
from fourk.services.directory import Directory


@dataclass(frozen=True, slots=True)
class System:
    id: str
    label: str
    folder: str
    config_path: str
    auth_path: str
    shell: str  # where the one-line command runs
    note: str


SYSTEMS = (
    System(
        "unix",
        "macOS / Linux",
        "~/.codex",
        "~/.codex/config.toml",
        "~/.codex/auth.json",
        "Terminal",
        "",
    ),
    System(
        "wsl",
        "Windows (WSL)",
        "~/.codex",
        "~/.codex/config.toml",
        "~/.codex/auth.json",
        "WSL terminal (Ubuntu etc.)",
        "Codex runs inside WSL, so its files live in your Linux home (~ inside WSL, e.g. "
        "/home/you/.codex), not in %USERPROFILE%. Run the command in the WSL terminal.",
    ),
    System(
        "windows",
        "Windows (native)",
        r"%USERPROFILE%\.codex",
        r"%USERPROFILE%\.codex\config.toml",
        r"%USERPROFILE%\.codex\auth.json",
        "PowerShell",
        r"For example C:\Users\you\.codex\config.toml. Run the command in PowerShell.",
    ),
)


def models_for(directory: Directory, key: ApiKey) -> list[str]:
    return [m for m in directory.served_models() if key.allows(m)]


def use_key_context(
    directory: Directory,
    fallback_base_url: str,
    key: ApiKey,
    secret: str,
    *,
    model: str | None,
    review_model: str | None,
    system: str | None,
) -> dict[str, Any]:
    site = directory.site
    base_url = site.base_url(fallback_base_url)
    models = models_for(directory, key)
    default = site.default_model if site.default_model in models else (models or [""])[0]
    chosen = model if model in models else default
    review_default = site.default_review_model if site.default_review_model in models else chosen
    review = review_model if review_model in models else review_default
    config = render_config_toml(base_url, chosen, review)
    auth = render_auth_json(secret)
    posix_script = render_posix_script(base_url, chosen, review, secret)
    powershell_script = render_powershell_script(base_url, chosen, review, secret)
    posix = posix_one_liner(posix_script)
    powershell = powershell_one_liner(powershell_script)
    return {
        "systems": SYSTEMS,
        "system": system if system in {s.id for s in SYSTEMS} else "unix",
        "models": models,
        "model": chosen,
        "review_model": review,
        "config_toml": config,
        "auth_json": auth,
        "commands": {"unix": posix, "wsl": posix, "windows": powershell},
        "scripts": {"unix": posix_script, "wsl": posix_script, "windows": powershell_script},
        "base_url": base_url,
    }
