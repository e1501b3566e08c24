"""Browser sessions and CSRF tokens (pure): what the cookie holds, what the store keeps.

The cookie carries a random token; the store keeps only its SHA-256, so a copy of the
database does not let anyone into a session. Each session has its own CSRF token, sent back
by every form and htmx request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fourk.accounts.records import User

COOKIE = "fourk_session"
PRE_SESSION_COOKIE = "fourk_csrf"  # double-submit token for the forms shown before login
LIFETIME = timedelta(days=14)
IDLE_LIMIT = timedelta(days=3)
TOUCH_EVERY = timedelta(minutes=5)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_match(expected: str | None, given: str | None) -> bool:
    return bool(expected and given) and hmac.compare_digest(str(expected), str(given))


@dataclass(frozen=True, slots=True)
class BrowserSession:
    id: str  # token digest
    user: User
    csrf: str
    second_factor_done: bool
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime

    def alive(self, now: datetime) -> bool:
        return now < self.expires_at and now - self.last_seen_at < IDLE_LIMIT

    def due_for_touch(self, now: datetime) -> bool:
        return now - self.last_seen_at >= TOUCH_EVERY


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """One of a user's sessions as the account page lists it (never its token)."""

    id: str  # token digest
    created_at: datetime
    last_seen_at: datetime
    address: str | None
    user_agent: str | None
