"""Queries on sign-up invite codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from fourk.store.db import as_utc
from fourk.store.tables import invites


@dataclass(frozen=True, slots=True)
class Invite:
    id: int
    code: str
    max_uses: int
    uses: int
    expires_at: datetime | None
    created_at: datetime


class Invites:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(
        self,
        code: str,
        max_uses: int,
        expires_at: datetime | None,
        created_by: int | None,
        now: datetime,
    ) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                invites.insert().values(
                    code=code,
                    max_uses=max_uses,
                    expires_at=expires_at,
                    created_by=created_by,
                    created_at=now,
                )
            )

    async def all(self) -> list[Invite]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(invites).order_by(invites.c.id.desc()))).all()
        return [
            Invite(r.id, r.code, r.max_uses, r.uses, as_utc(r.expires_at), as_utc(r.created_at))  # type: ignore[arg-type]
            for r in rows
        ]

    @staticmethod
    async def consume(conn: AsyncConnection, code: str, now: datetime) -> bool:
        """Use the code once, inside the caller's transaction; False if it cannot be used."""
        result = await conn.execute(
            update(invites)
            .where(
                invites.c.code == code,
                invites.c.uses < invites.c.max_uses,
                or_(invites.c.expires_at.is_(None), invites.c.expires_at > now),
            )
            .values(uses=invites.c.uses + 1)
        )
        return bool(result.rowcount)
