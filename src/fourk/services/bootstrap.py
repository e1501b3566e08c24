"""What `fourk serve` makes sure of before it listens: an admin, and the demo setup."""

from __future__ import annotations

from dataclasses import dataclass

from fourk.services.accounts import create_key, create_user, reveal_key
from fourk.services.channels import add_channel
from fourk.services.store_bundle import Store

ADMIN_NAME = "admin"
DEMO_USER = "demo"
DEMO_CHANNEL = "demo-sim"
DEMO_KEY_NAME = "demo"
DEMO_CREDIT = 10_000_000  # $10 of simulated answers
SIGNUP_CREDIT_IN_DEMO = 5_000_000  # what a new account gets while --demo runs


@dataclass(frozen=True, slots=True)
class Demo:
    key: str
    models: tuple[str, ...]


async def ensure_admin(store: Store) -> str | None:
    """On an empty store, create the admin; returns its one-time password (else None)."""
    if await store.users.count():
        return None
    _, password = await create_user(store, ADMIN_NAME, role="admin")
    return password


async def ensure_demo(store: Store, models: tuple[str, ...]) -> Demo:
    """The built-in simulator as a channel, a demo user and its key (the same key on every
    start, so a pasted Codex config keeps working)."""
    if await store.channels.by_name(DEMO_CHANNEL) is None:
        await add_channel(
            store,
            name=DEMO_CHANNEL,
            kind="sim",
            base_url="sim://local",
            models=models,
            api_key=None,
            priority=-100,
        )
    user = await store.users.by_name(DEMO_USER)
    if user is None:
        user, _ = await create_user(store, DEMO_USER, initial_credit=DEMO_CREDIT)
    live = [
        k for k in await store.keys.all(user.id) if k.name == DEMO_KEY_NAME and k.revoked_at is None
    ]
    if live:
        return Demo(key=await reveal_key(store, live[0]), models=models)
    new = await create_key(store, user, name=DEMO_KEY_NAME)
    return Demo(key=new.secret, models=models)
