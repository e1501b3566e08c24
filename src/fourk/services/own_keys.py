"""A user's own API keys for model calls: make one (limits checked), revoke one.

Someone else's key, or a management token, is "not found" here: a user must not learn that
another id exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from fourk.accounts.records import ApiKey, User
from fourk.services.accounts import NewKey, NotFoundError, create_key
from fourk.services.directory import Directory
from fourk.services.store_bundle import Store

MAX_KEYS = 50
MAX_NAME = 128
MAX_DAYS = 3650


async def own_keys(store: Store, user: User) -> list[ApiKey]:
    return [k for k in await store.keys.all(user.id) if k.scope == "inference"]


async def create_own_key(
    store: Store,
    directory: Directory,
    user: User,
    *,
    name: str,
    models: Sequence[str] | None,
    days: int | None,
) -> NewKey:
    name = name.strip() or "default"
    if len(name) > MAX_NAME:
        raise ValueError(f"A key name has at most {MAX_NAME} characters.")
    unknown = [m for m in models or () if m not in directory.served_models()]
    if unknown:
        raise ValueError(f"No such model: {', '.join(unknown)}.")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise ValueError(f"A key lasts 1 to {MAX_DAYS} days (or forever).")
    live = [k for k in await own_keys(store, user) if k.revoked_at is None]
    if len(live) >= MAX_KEYS:
        raise ValueError(f"You have {MAX_KEYS} keys already; revoke one first.")
    expires = datetime.now(UTC) + timedelta(days=days) if days else None
    return await create_key(store, user, name=name, models=models or None, expires_at=expires)


async def revoke_own_key(store: Store, directory: Directory, user: User, key_id: int) -> ApiKey:
    key = await store.keys.by_id(key_id)
    if key is None or key.user_id != user.id or key.scope != "inference":
        raise NotFoundError(f"you have no key with id {key_id}")
    await store.keys.revoke(key.id)
    await directory.reload()
    return await store.keys.by_id(key.id) or key
