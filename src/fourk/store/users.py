"""Queries on users."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from fourk.accounts.records import User
from fourk.store.db import as_utc
from fourk.store.meta import bump_config_version
from fourk.store.tables import users


class UsernameTaken(ValueError):
    pass


def _user(row: Any) -> User:
    return User(
        id=row.id,
        username=row.username,
        role=row.role,
        status=row.status,
        created_at=as_utc(row.created_at) or datetime.now(UTC),
    )


class Users:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(self, username: str, password_hash: str, role: str = "user") -> User:
        now = datetime.now(UTC)
        try:
            async with self._engine.begin() as conn:
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

    async def by_name(self, username: str) -> User | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(users).where(users.c.username == username))).first()
        return _user(row) if row else None

    async def by_id(self, user_id: int) -> User | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
        return _user(row) if row else None

    async def all(self) -> list[User]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(users).order_by(users.c.id))).all()
        return [_user(row) for row in rows]

    async def count(self) -> int:
        async with self._engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(users)) or 0)

    async def set_status(self, user_id: int, status: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(update(users).where(users.c.id == user_id).values(status=status))
            await bump_config_version(conn)


def _new_id(result: Any) -> int:
    return int(result.inserted_primary_key[0])
