"""Per user and per key limits: read them, set them (the operator), list a user's own.

Only keys for model calls have limits here; a management token is "not found". A change is
stored with a config version bump (every server reloads on its next poll) and applied on this
node at once: the directory reloads and its listeners run, so the limits gate re-seeds the
spend windows from the ledger before the next request.
"""

from __future__ import annotations

from fourk.accounts.records import ApiKey, User
from fourk.limits.codec import encode_limits
from fourk.limits.rules import Limits
from fourk.services.accounts import NotFoundError
from fourk.services.directory import Directory
from fourk.services.store_bundle import Store


class LimitsAdmin:
    """Limits of users and keys (cheap to build per request)."""

    def __init__(self, store: Store, directory: Directory) -> None:
        self._store = store
        self._directory = directory

    async def user(self, user_id: int) -> User:
        user = await self._store.users.by_id(user_id)
        if user is None:
            raise NotFoundError(f"there is no user with id {user_id}")
        return user

    async def key(self, key_id: int, owner_id: int | None = None) -> ApiKey:
        """A key for model calls; with `owner_id`, only if that user owns it."""
        key = await self._store.keys.by_id(key_id)
        if key is None or key.scope != "inference" or owner_id not in (None, key.user_id):
            raise NotFoundError(f"there is no API key with id {key_id}")
        return key

    async def live_keys(self, user_id: int) -> list[ApiKey]:
        """The user's keys for model calls that are not revoked, oldest first."""
        keys = await self._store.keys.all(user_id)
        return [k for k in keys if k.scope == "inference" and k.revoked_at is None]

    async def set_user(self, user_id: int, limits: Limits | None) -> User:
        await self.user(user_id)
        await self._store.users.set_limits(user_id, encode_limits(limits))
        await self._directory.refresh_if_changed()
        return await self.user(user_id)

    async def set_key(
        self, key_id: int, limits: Limits | None, owner_id: int | None = None
    ) -> ApiKey:
        await self.key(key_id, owner_id)
        await self._store.keys.set_limits(key_id, encode_limits(limits))
        await self._directory.refresh_if_changed()
        return await self.key(key_id)
