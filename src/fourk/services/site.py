"""The operator's site settings: what they are, their defaults, and checking new values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any
from urllib.parse import urlsplit

from fourk.billing.pricing import InvalidAmount, parse_dollars

SIGNUP_MODES = ("open", "invite", "closed")
MAX_INITIAL_CREDIT = 1_000_000 * 1_000_000  # micro-dollars


class InvalidSetting(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class SiteConfig:
    site_name: str = "fourk"
    public_base_url: str = ""  # empty: the server's own address (Settings.base_url)
    signup_mode: str = "invite"
    default_model: str = ""  # empty: the first model served
    default_review_model: str = ""  # empty: the same as the model
    initial_language: str = "en"
    initial_credit: int = 0  # micro-dollars a new account starts with

    def base_url(self, fallback: str) -> str:
        """Codex's base_url: the public root, no trailing slash, no /v1."""
        return (self.public_base_url or fallback).rstrip("/")

    def path_prefix(self, fallback: str) -> str:
        """The path the service lives under behind a reverse proxy ("" at the root)."""
        return urlsplit(self.base_url(fallback)).path.rstrip("/")


def decode_site(raw: Mapping[str, Any], base: SiteConfig | None = None) -> SiteConfig:
    """Stored values over the defaults; unknown or ill-typed values are ignored."""
    config = base or SiteConfig()
    known = {f.name: type(getattr(config, f.name)) for f in fields(SiteConfig)}
    values = {k: v for k, v in raw.items() if k in known and isinstance(v, known[k])}
    return replace(config, **values)


def check_site_change(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Validated, normalised values from a form or API call; InvalidSetting says what is wrong."""
    out: dict[str, Any] = {}
    names = {f.name for f in fields(SiteConfig)}
    for name, value in changes.items():
        if name not in names:
            raise InvalidSetting(f"unknown setting {name!r}")
        if name == "initial_credit":
            out[name] = check_credit(value)
            continue
        if not isinstance(value, str):
            raise InvalidSetting(f"{name} must be text")
        out[name] = value.strip()
    if "site_name" in out and not 1 <= len(out["site_name"]) <= 64:
        raise InvalidSetting("The site name must have 1 to 64 characters.")
    if "signup_mode" in out and out["signup_mode"] not in SIGNUP_MODES:
        raise InvalidSetting(f"Sign-up mode must be one of {', '.join(SIGNUP_MODES)}.")
    if out.get("public_base_url"):
        out["public_base_url"] = _check_base_url(out["public_base_url"])
    if "initial_language" in out and out["initial_language"] not in ("en", "zh"):
        raise InvalidSetting("The language must be en or zh.")
    return out


def check_credit(value: Any) -> int:
    """A new account's credit: dollars as text ("5", "2.50"; empty is none) or an integer
    of micro-dollars (what the settings answer shows)."""
    if isinstance(value, str):
        try:
            micro = parse_dollars(value) if value.strip() else 0
        except InvalidAmount as exc:
            raise InvalidSetting(f"Initial credit: {exc}") from None
    elif isinstance(value, int) and not isinstance(value, bool):
        micro = value
    else:
        raise InvalidSetting('initial_credit must be dollars as text (e.g. "5.00")')
    if not 0 <= micro <= MAX_INITIAL_CREDIT:
        raise InvalidSetting("The initial credit must be between $0 and $1,000,000.")
    return micro


def _check_base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidSetting("The public base URL must start with http:// or https://.")
    if parts.query or parts.fragment:
        raise InvalidSetting("The public base URL cannot have a query or fragment.")
    path = parts.path.rstrip("/")
    if path.endswith("/v1"):
        raise InvalidSetting(
            "Leave /v1 off the public base URL: Codex adds /responses to it directly "
            "(base_url is the service root)."
        )
    return f"{parts.scheme}://{parts.netloc}{path}"
