"""Checking and changing what people type to prove who they are: passwords and codes.

Every check goes through the login throttle first (a locked account or address is refused
without spending a password hash), and its outcome is counted.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from fourk.accounts.passwords import Passwords
from fourk.accounts.records import User
from fourk.services.login_throttle import CODE, PASSWORD, LoginThrottle
from fourk.services.store_bundle import Store
from fourk.services.two_factor import TwoFactor

# checked against when the username is unknown, so both cases take the same time
_DUMMY_HASH = Passwords().hash("not a password of anyone")


@dataclass(frozen=True, slots=True)
class Checked:
    user: User | None = None  # set when the secret was right
    method: str | None = None  # for codes: two_factor.APP or two_factor.RECOVERY
    wait: int = 0  # seconds to wait before trying again (a lockout)

    @property
    def ok(self) -> bool:
        return self.user is not None and not self.wait


async def check_password(
    store: Store, throttle: LoginThrottle, username: str, password: str, address: str | None
) -> Checked:
    """The user if `password` is theirs. Unknown names cost the same time as known ones."""
    wait = await throttle.wait(PASSWORD, username, address)
    if wait:
        return Checked(wait=wait)
    found = await store.users.credentials(username)
    stored = found[1] if found else _DUMMY_HASH
    right = await asyncio.to_thread(Passwords().verify, stored, password)
    if not (right and found):
        return Checked(wait=await throttle.failed(PASSWORD, username, address))
    await throttle.succeeded(PASSWORD, username)
    return Checked(user=found[0])


async def check_code(
    two_factor: TwoFactor, throttle: LoginThrottle, user: User, code: str, address: str | None
) -> Checked:
    """Whether `code` is a current app code or an unused recovery code of `user`."""
    account = str(user.id)
    wait = await throttle.wait(CODE, account, address)
    if wait:
        return Checked(wait=wait)
    method = await two_factor.verify(user, code)
    if method is None:
        return Checked(wait=await throttle.failed(CODE, account, address))
    await throttle.succeeded(CODE, account)
    return Checked(user=user, method=method)


async def change_password(store: Store, user: User, new_password: str, keep: str) -> None:
    """Store the new password's hash and end every other session of the user (`keep` is
    the digest of the session to keep)."""
    hashed = await asyncio.to_thread(Passwords().hash, new_password)
    await store.users.set_password(user.id, hashed)
    await store.sessions.delete_for_user(user.id, keep=keep)
