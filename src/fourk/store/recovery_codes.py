"""Queries on two-factor recovery codes (only their SHA-256 digests are stored)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from fourk.store.tables import recovery_codes


class RecoveryCodes:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def replace(self, user_id: int, digests: Sequence[str], now: datetime) -> None:
        """The user's codes become exactly these (the old ones stop working)."""
        async with self._engine.begin() as conn:
            await conn.execute(delete(recovery_codes).where(recovery_codes.c.user_id == user_id))
            if digests:
                await conn.execute(
                    recovery_codes.insert(),
                    [{"user_id": user_id, "digest": d, "created_at": now} for d in digests],
                )

    async def use(self, user_id: int, digest: str, now: datetime) -> bool:
        """Mark an unused code used; False if there is none (wrong, or used before). One
        UPDATE, so two requests racing with the same code cannot both win."""
        query = (
            update(recovery_codes)
            .where(
                recovery_codes.c.user_id == user_id,
                recovery_codes.c.digest == digest,
                recovery_codes.c.used_at.is_(None),
            )
            .values(used_at=now)
        )
        async with self._engine.begin() as conn:
            result = await conn.execute(query)
        return bool(result.rowcount)

    async def unused(self, user_id: int) -> int:
        query = (
            select(func.count())
            .select_from(recovery_codes)
            .where(recovery_codes.c.user_id == user_id, recovery_codes.c.used_at.is_(None))
        )
        async with self._engine.connect() as conn:
            return int(await conn.scalar(query) or 0)

    async def delete_for_user(self, user_id: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(recovery_codes).where(recovery_codes.c.user_id == user_id))
