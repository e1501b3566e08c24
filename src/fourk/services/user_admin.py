"""What an operator does to users: roles, disabling, display names, password resets.

One rule guards them all: the site always keeps at least one active admin, so the last one
can neither demote nor disable themself. Every change reaches the directory at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from fourk.accounts.passwords import Passwords, generate_password
from fourk.accounts.records import User
from fourk.services.accounts import NotFoundError, create_user, password_problem
from fourk.services.directory import Directory
from fourk.services.store_bundle import Store

ROLES = ("user", "admin")
STATUSES = ("active", "disabled")
MAX_DISPLAY_NAME = 128


class RuleBroken(ValueError):
    """The change would break a rule of the site (answered with 409)."""


@dataclass(frozen=True, slots=True)
class UserPatch:
    """A change to one user; None leaves a field as it is ("" clears the display name)."""

    role: str | None = None
    status: str | None = None
    display_name: str | None = None


def check_patch(patch: UserPatch) -> UserPatch:
    """The patch with its values checked and tidied; ValueError says what is wrong."""
    if patch.role is not None and patch.role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if patch.status is not None and patch.status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    name = patch.display_name
    if name is not None:
        name = " ".join(name.split())
        if len(name) > MAX_DISPLAY_NAME:
            raise ValueError(f"A display name has at most {MAX_DISPLAY_NAME} characters.")
    return UserPatch(role=patch.role, status=patch.status, display_name=name)


def leaves_no_admin(users: Sequence[User], target: User, patch: UserPatch) -> bool:
    """Would the site be left without an active admin after `patch` is applied to `target`?"""

    def after(user: User) -> tuple[str, str]:
        if user.id != target.id:
            return user.role, user.status
        return patch.role or user.role, patch.status or user.status

    return not any(after(u) == ("admin", "active") for u in users)


class UserAdmin:
    """The operator's user actions (cheap to build per request)."""

    def __init__(self, store: Store, directory: Directory) -> None:
        self._store = store
        self._directory = directory

    async def get(self, user_id: int) -> User:
        user = await self._store.users.by_id(user_id)
        if user is None:
            raise NotFoundError(f"there is no user with id {user_id}")
        return user

    async def change(self, user_id: int, patch: UserPatch) -> User:
        user = await self.get(user_id)
        patch = check_patch(patch)
        if (patch.role or patch.status) and leaves_no_admin(
            await self._store.users.all(), user, patch
        ):
            raise RuleBroken(
                "This is the last active admin: make another user an admin first, "
                "so the site keeps someone who can run it."
            )
        users = self._store.users
        if patch.role is not None and patch.role != user.role:
            await users.set_role(user.id, patch.role)
        if patch.status is not None and patch.status != user.status:
            await users.set_status(user.id, patch.status)
            if patch.status == "disabled":
                await self._store.sessions.delete_for_user(user.id)
        if patch.display_name is not None:
            await users.set_display_name(user.id, patch.display_name or None)
        await self._directory.reload()
        return await self.get(user.id)

    async def reset_password(self, user_id: int) -> tuple[User, str]:
        """A new generated password (shown once to the operator); the user's sessions end."""
        user = await self.get(user_id)
        password = generate_password()
        hashed = await asyncio.to_thread(Passwords().hash, password)
        await self._store.users.set_password(user.id, hashed)
        await self._store.sessions.delete_for_user(user.id)
        await self._directory.reload()
        return user, password

    async def create(
        self, username: str, role: str = "user", password: str | None = None
    ) -> tuple[User, str]:
        """A new user; returns the password (generated when none is given, shown once)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        problem = password_problem(password) if password is not None else None
        if problem:
            raise ValueError(problem)
        user, password = await create_user(self._store, username, role=role, password=password)
        await self._directory.reload()
        return user, password

    async def search(self, text: str, limit: int = 50, offset: int = 0) -> list[User]:
        return await self._store.users.search(text.strip(), limit=limit, offset=offset)
