"""Sign-up invite codes: the operator makes them (how many uses, how long they last)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from fourk.accounts.records import User
from fourk.services.store_bundle import Store
from fourk.store.invites import Invite

MAX_USES = 10_000
MAX_DAYS = 3650


def new_code() -> str:
    """An easy-to-read code with 75 random bits (letters and digits, no look-alikes)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(15))
    return "-".join(raw[i : i + 5] for i in range(0, 15, 5))


def check_invite(max_uses: int, days: int | None) -> None:
    if not 1 <= max_uses <= MAX_USES:
        raise ValueError(f"An invite can be used 1 to {MAX_USES} times.")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise ValueError(f"An invite lasts 1 to {MAX_DAYS} days (or forever).")


async def create_invite(store: Store, creator: User, max_uses: int, days: int | None) -> Invite:
    check_invite(max_uses, days)
    code = new_code()
    now = datetime.now(UTC)
    expires = now + timedelta(days=days) if days else None
    await store.invites.create(code, max_uses, expires, creator.id, now)
    return next(i for i in await store.invites.all() if i.code == code)
