"""Every setting in one table: name, type, default, help. Read from `FOURK_*` env vars.

Secrets are marked and never printed; `Settings.describe()` masks them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any


def default_data_dir() -> Path:
    """The per-user data directory: $XDG_DATA_HOME/fourk or ~/.local/share/fourk."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "fourk"


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    kind: type
    default: Any
    help: str
    secret: bool = False

    @property
    def env(self) -> str:
        return "FOURK_" + self.name.upper()


TABLE: tuple[Setting, ...] = (
    Setting(
        "data_dir",
        Path,
        None,
        "Directory for the database and the server secret "
        "(default: $XDG_DATA_HOME/fourk or ~/.local/share/fourk).",
    ),
    Setting(
        "database_url",
        str,
        "",
        "SQLAlchemy URL; empty means SQLite in the data dir. "
        "For PostgreSQL: postgresql+asyncpg://user@host/db.",
    ),
    Setting(
        "secret_key",
        str,
        "",
        "Base64 server key (32 bytes) that encrypts API keys and "
        "upstream secrets; empty means the file `secret.key` in the data dir.",
        secret=True,
    ),
    Setting("host", str, "127.0.0.1", "Address to listen on."),
    Setting("port", int, 8080, "Port to listen on."),
    Setting(
        "public_base_url",
        str,
        "",
        "The root URL users put in Codex's base_url (no /v1); empty means http://HOST:PORT.",
    ),
    Setting("max_body_bytes", int, 64 * 1024 * 1024, "Largest request body accepted (413 above)."),
    Setting("connect_timeout", float, 10.0, "Seconds to connect to an upstream."),
    Setting(
        "first_byte_timeout",
        float,
        120.0,
        "Seconds to wait for an upstream's first byte "
        "(before it, fourk fails over to the next channel).",
    ),
    Setting(
        "idle_timeout",
        float,
        240.0,
        "Seconds an upstream stream may stay silent "
        "(kept below Codex's 300 s idle timeout so Codex hears our error first).",
    ),
    Setting("total_timeout", float, 3600.0, "Seconds one relayed request may take in all."),
    Setting("max_attempts", int, 3, "Channels tried for one request before giving up."),
    Setting(
        "channel_cooldown",
        float,
        10.0,
        "Seconds a channel that just failed is tried "
        "only after the healthy ones (a 429's Retry-After wins when longer).",
    ),
    Setting(
        "retry_after_default",
        int,
        5,
        "Retry-After seconds sent when every channel is "
        "rate limited and none said how long to wait.",
    ),
    Setting(
        "cache_poll_interval",
        float,
        0.5,
        "Seconds between checks for key and channel "
        "changes made by other processes (the CLI, other replicas).",
    ),
    Setting("log_batch_max", int, 500, "Most request-log rows written in one transaction."),
    Setting(
        "output_reserve",
        int,
        8192,
        "Output tokens of money set aside for a request that names no max_output_tokens "
        "(the unused part is released when it ends).",
    ),
)


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    host: str
    port: int
    public_base_url: str
    max_body_bytes: int
    connect_timeout: float
    first_byte_timeout: float
    idle_timeout: float
    total_timeout: float
    max_attempts: int
    channel_cooldown: float
    retry_after_default: int
    cache_poll_interval: float
    log_batch_max: int
    output_reserve: int

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then `FOURK_*` from env, then explicit overrides (CLI flags)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for setting in TABLE:
            value: Any = setting.default
            raw = env.get(setting.env)
            if raw is not None and raw != "":
                value = _convert(setting, raw)
            if overrides.get(setting.name) is not None:
                value = overrides[setting.name]
            values[setting.name] = value
        if values["data_dir"] is None:
            values["data_dir"] = default_data_dir()
        values["data_dir"] = Path(values["data_dir"]).expanduser()
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'fourk.db'}"

    @property
    def base_url(self) -> str:
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def describe(self) -> dict[str, str]:
        """Every setting with its value, secrets masked: safe to log."""
        by_name = {s.name: s for s in TABLE}
        out = {}
        for field in fields(self):
            value = getattr(self, field.name)
            out[field.name] = "***" if by_name[field.name].secret and value else str(value)
        return out


def _convert(setting: Setting, raw: str) -> Any:
    try:
        if setting.kind is bool:
            return raw.strip().lower() in ("1", "true", "yes", "on")
        return setting.kind(raw)
    except ValueError as exc:
        raise ValueError(f"{setting.env}={raw!r} is not a valid {setting.kind.__name__}") from exc
