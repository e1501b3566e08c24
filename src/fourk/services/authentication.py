"""Who is calling: an API key from the request headers, checked against the directory.

Every refusal says what the person can do about it and never repeats the key (at most its
first characters, which the dashboard shows too).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from fourk.accounts.keys import display_prefix, key_digest, shape_problem
from fourk.accounts.records import ApiKey, User
from fourk.errors import AuthenticationFailed
from fourk.services.directory import Directory


@dataclass(frozen=True, slots=True)
class Principal:
    key: ApiKey
    user: User


def bearer_token(authorization: str | None, api_key_header: str | None = None) -> str | None:
    """The token of `Authorization: Bearer …`, or of an `x-api-key` header."""
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer":
            return token
        return authorization
    return api_key_header


class Authenticator:
    def __init__(
        self, directory: Directory, now: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._directory = directory
        self._now = now

    async def authenticate(self, token: str | None, scope: str = "inference") -> Principal:
        """The key's owner, or AuthenticationFailed saying why not. `scope` is what the
        caller serves: model calls ("inference") or the management API ("manage")."""
        if not token:
            raise AuthenticationFailed(
                "No API key was sent. Codex reads it from OPENAI_API_KEY in ~/.codex/auth.json "
                "(with requires_openai_auth = true); other clients send "
                "'Authorization: Bearer <key>'."
            )
        digest = key_digest(token)
        key = self._directory.keys_by_digest.get(digest)  # the hot path: a key in memory
        if key is None:
            problem = shape_problem(token)
            if problem:
                raise AuthenticationFailed(problem)
            key = await self._directory.find_key(digest)
        if key is None:
            raise AuthenticationFailed(
                f"This API key ({display_prefix(token)}…) is not known to this service. It may "
                "have been deleted, or it belongs to another service. Create a key in the "
                "dashboard and put it in auth.json."
            )
        if key.revoked_at is not None:
            raise AuthenticationFailed(
                f"This API key ({key.prefix}…, '{key.name}') was revoked on "
                f"{key.revoked_at:%Y-%m-%d %H:%M} UTC. Create a new key in the dashboard and "
                "put it in auth.json."
            )
        if key.expires_at is not None and key.expires_at <= self._now():
            raise AuthenticationFailed(
                f"This API key ({key.prefix}…, '{key.name}') expired on "
                f"{key.expires_at:%Y-%m-%d %H:%M} UTC. Create a new key in the dashboard."
            )
        if key.scope != scope:
            raise AuthenticationFailed(
                "This is a management token; it works only for the management API (/api)."
                if key.scope == "manage"
                else "This API key is for model calls; the management API needs a management "
                "token (an admin creates one under Settings)."
            )
        user = self._directory.users_by_id.get(key.user_id)
        if user is None or not user.is_active:
            raise AuthenticationFailed(
                "The account that owns this API key is disabled. Contact the operator."
            )
        return Principal(key=key, user=user)
