"""What the rest of fourk knows about users and keys (plain data, no database types)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fourk.limits.rules import Limits


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    role: str  # "admin" | "user"
    status: str  # "active" | "disabled"
    created_at: datetime
    display_name: str | None = None
    two_factor: bool = False
    last_login_at: datetime | None = None
    price_multiplier: int = 10_000  # basis points: 10_000 pays the list price
    limits: Limits | None = None

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: int
    user_id: int
    name: str
    prefix: str
    digest: str
    models: tuple[str, ...] | None  # None: every model
    expires_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime
    scope: str = "inference"  # or "manage": the management API only
    limits: Limits | None = None

    def allows(self, model: str) -> bool:
        return self.models is None or model in self.models
