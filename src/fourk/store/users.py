"""Queries on users."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from fourk.accounts.records import User
from fourk.limits.codec import decode_limits
from fourk.store.db import as_utc
from fourk.store.invites import Invites
from fourk.store.meta import bump_config_version
from fourk.store.tables import users


class UsernameTaken(ValueError):
    pass


class InviteRefused(ValueError):
    pass


def user_from_row(row: Any) -> User:
    """A User from any result row holding the users table's columns (also in joins)."""
    m = row._mapping
    return User(
        id=m[users.c.id],
        username=m[users.c.username],
        role=m[users.c.role],
        status=m[users.c.status],
        created_at=as_utc(m[users.c.created_at]) or datetime.now(UTC),
        display_name=m[users.c.display_name],
        two_factor=m[users.c.totp_sealed] is not None,
        last_login_at=as_utc(m[users.c.last_login_at]),
        price_multiplier=m[users.c.price_multiplier],
        limits=decode_limits(m[users.c.limits]),
    )


class Users:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(
        self, username: str, password_hash: str, role: str = "user", invite: str | None = None
    ) -> User:
        """A new active user; with `invite`, the code is used up in the same transaction."""
        now = datetime.now(UTC)
        try:
            async with self._engine.begin() as conn:
                if invite is not None and not await Invites.consume(conn, invite, now):
                    raise InviteRefused("This invite code is unknown, used up or expired.")
                result = await conn.execute(
                    users.insert().values(
                        username=username,
                        password_hash=password_hash,
                        role=role,
                        status="active",
                        created_at=now,
                    )
                )
                await bump_config_version(conn)
        except IntegrityError as exc:
            raise UsernameTaken(f"the username {username!r} is taken") from exc
        return User(
            id=_new_id(result), username=username, role=role, status="active", created_at=now
        )

    async def credentials(self, username: str) -> tuple[User, str] | None:
        """The user and their password hash, for logging in."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(users).where(users.c.username == username))).first()
        return (user_from_row(row), row.password_hash) if row else None

    async def password_hash(self, user_id: int) -> str | None:
        async with self._engine.connect() as conn:
            return await conn.scalar(select(users.c.password_hash).where(users.c.id == user_id))

    async def set_password(self, user_id: int, password_hash: str) -> None:
        await self._update(user_id, password_hash=password_hash)

    async def set_role(self, user_id: int, role: str) -> None:
        await self._update(user_id, role=role)

    async def set_limits(self, user_id: int, limits: str | None) -> None:
        """`limits` as encode_limits gives it (None: no limits)."""
        await self._update(user_id, limits=limits)

    async def set_price_multiplier(self, user_id: int, points: int) -> None:
        """Basis points: 10_000 pays the list price."""
        await self._update(user_id, price_multiplier=points)

    async def set_display_name(self, user_id: int, name: str | None) -> None:
        await self._update(user_id, display_name=name)

    async def set_totp(self, user_id: int, sealed: str | None) -> None:
        await self._update(user_id, totp_sealed=sealed)

    async def totp_sealed(self, user_id: int) -> str | None:
        async with self._engine.connect() as conn:
            return await conn.scalar(select(users.c.totp_sealed).where(users.c.id == user_id))

    async def note_login(self, user_id: int, now: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(update(users).where(users.c.id == user_id).values(last_login_at=now))

    async def search(self, text: str = "", limit: int = 50, offset: int = 0) -> list[User]:
        query = select(users).order_by(users.c.id).limit(limit).offset(offset)
        if text:
            query = query.where(users.c.username.contains(text, autoescape=True))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [user_from_row(row) for row in rows]

    async def _update(self, user_id: int, **values: Any) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(update(users).where(users.c.id == user_id).values(**values))
            await bump_config_version(conn)

    async def by_name(self, username: str) -> User | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(users).where(users.c.username == username))).first()
        return user_from_row(row) if row else None

    async def by_id(self, user_id: int) -> User | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
        return user_from_row(row) if row else None

    async def all(self) -> list[User]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(users).order_by(users.c.id))).all()
        return [user_from_row(row) for row in rows]

    async def count(self) -> int:
        async with self._engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(users)) or 0)

    async def set_status(self, user_id: int, status: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(update(users).where(users.c.id == user_id).values(status=status))
            await bump_config_version(conn)


def _new_id(result: Any) -> int:
    return int(result.inserted_primary_key[0])
