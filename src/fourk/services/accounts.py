"""Managing users and their API keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fourk.accounts.keys import display_prefix, key_digest, mint_key
from fourk.accounts.passwords import Passwords, generate_password
from fourk.accounts.records import ApiKey, User
from fourk.services.store_bundle import Store

KEY_SECRET = "api-key"


class NotFoundError(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class NewKey:
    record: ApiKey
    secret: str  # shown once to its creator


async def create_user(
    store: Store,
    username: str,
    *,
    role: str = "user",
    password: str | None = None,
    invite: str | None = None,
    initial_credit: int = 0,
) -> tuple[User, str]:
    """Create a user; returns the user and the password (generated when none is given).
    `initial_credit` (micro-dollars) goes into the ledger as the account's first row."""
    username = username.strip()
    problem = username_problem(username)
    if problem:
        raise ValueError(problem)
    password = password or generate_password()
    user = await store.users.create(username, Passwords().hash(password), role, invite)
    if initial_credit > 0:
        await store.ledger.change(user.id, initial_credit, "initial", "credit for a new account")
    return user, password


def username_problem(username: str) -> str | None:
    if not 1 <= len(username) <= 64:
        return "A username must have 1 to 64 characters."
    if any(c.isspace() or not c.isprintable() for c in username):
        return "A username cannot contain spaces or control characters."
    return None


def password_problem(password: str) -> str | None:
    if len(password) < 10:
        return "Use a password of at least 10 characters."
    if len(password) > 256:
        return "That password is too long (256 characters at most)."
    return None


async def find_user(store: Store, username: str) -> User:
    user = await store.users.by_name(username)
    if user is None:
        raise NotFoundError(f"there is no user named {username!r}")
    return user


async def create_key(
    store: Store,
    user: User,
    *,
    name: str = "default",
    models: Sequence[str] | None = None,
    expires_at: datetime | None = None,
    scope: str = "inference",
) -> NewKey:
    secret = mint_key()
    record = await store.keys.create(
        user_id=user.id,
        name=name,
        prefix=display_prefix(secret),
        digest=key_digest(secret),
        sealed=store.sealer.seal(secret, KEY_SECRET),
        models=list(models) if models else None,
        expires_at=expires_at,
        scope=scope,
    )
    return NewKey(record=record, secret=secret)


async def reveal_key(store: Store, key: ApiKey) -> str:
    """The key itself, for its owner (the Use key dialog, the demo banner)."""
    sealed = await store.keys.sealed(key.id)
    if sealed is None:
        raise NotFoundError(f"key {key.id} is gone")
    return store.sealer.open(sealed, KEY_SECRET)


async def find_key(store: Store, ident: str) -> ApiKey:
    """A key by its id or its display prefix."""
    keys = await store.keys.all()
    matches = [
        k
        for k in keys
        if str(k.id) == ident
        or k.prefix == ident
        or (ident.startswith("sk-") and k.digest == key_digest(ident))
    ]
    if not matches:
        raise NotFoundError(f"no key matches {ident!r} (use the id or prefix from `key list`)")
    if len(matches) > 1:
        raise NotFoundError(f"{ident!r} matches {len(matches)} keys; use the key id")
    return matches[0]
