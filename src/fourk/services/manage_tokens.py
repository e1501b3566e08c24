"""Management tokens: API keys with the "manage" scope, for an admin's scripts (/api only).

Like any key, one is shown once when it is made; it works only while its owner is an
active admin.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fourk.accounts.records import ApiKey, User
from fourk.services.accounts import NewKey, NotFoundError, create_key
from fourk.services.directory import Directory
from fourk.services.store_bundle import Store

SCOPE = "manage"
MAX_NAME = 128


class NotAdmin(ValueError):
    """Only admins hold management tokens (answered with 403)."""


async def create_token(
    store: Store, directory: Directory, owner: User, name: str, days: int | None
) -> NewKey:
    if not owner.is_admin:
        raise NotAdmin("Only an admin can make a management token.")
    name = name.strip() or "script"
    if len(name) > MAX_NAME:
        raise ValueError(f"A token name has at most {MAX_NAME} characters.")
    if days is not None and not 1 <= days <= 3650:
        raise ValueError("A token lasts 1 to 3650 days (or forever).")
    expires = datetime.now(UTC) + timedelta(days=days) if days else None
    new = await create_key(store, owner, name=name, expires_at=expires, scope=SCOPE)
    await directory.reload()
    return new


async def all_tokens(store: Store) -> list[ApiKey]:
    """Every management token, newest first (revoked ones too, for the record)."""
    tokens = [k for k in await store.keys.all() if k.scope == SCOPE]
    return sorted(tokens, key=lambda k: -k.id)


async def revoke_token(store: Store, directory: Directory, token_id: int) -> ApiKey:
    token = await store.keys.by_id(token_id)
    if token is None or token.scope != SCOPE:
        raise NotFoundError(f"there is no management token with id {token_id}")
    await store.keys.revoke(token.id)
    await directory.reload()
    return await store.keys.by_id(token.id) or token
