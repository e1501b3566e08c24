"""Queries on browser sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from fourk.accounts.sessions import IDLE_LIMIT, BrowserSession, SessionSummary
from fourk.store.db import as_utc
from fourk.store.tables import sessions, users
from fourk.store.users import user_from_row


class Sessions:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(
        self,
        *,
        digest: str,
        user_id: int,
        csrf: str,
        second_factor_done: bool,
        now: datetime,
        expires_at: datetime,
        address: str | None,
        user_agent: str | None,
    ) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                sessions.insert().values(
                    id=digest,
                    user_id=user_id,
                    csrf=csrf,
                    second_factor_done=second_factor_done,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=expires_at,
                    address=(address or "")[:64] or None,
                    user_agent=(user_agent or "")[:256] or None,
                )
            )

    async def get(self, digest: str) -> BrowserSession | None:
        query = (
            select(sessions, users)
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.id == digest)
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        m = row._mapping
        return BrowserSession(
            id=m[sessions.c.id],
            user=user_from_row(row),
            csrf=m[sessions.c.csrf],
            second_factor_done=bool(m[sessions.c.second_factor_done]),
            created_at=as_utc(m[sessions.c.created_at]),  # type: ignore[arg-type]
            last_seen_at=as_utc(m[sessions.c.last_seen_at]),  # type: ignore[arg-type]
            expires_at=as_utc(m[sessions.c.expires_at]),  # type: ignore[arg-type]
        )

    async def for_user(self, user_id: int, now: datetime) -> list[SessionSummary]:
        """The user's live, fully logged-in sessions, most recently used first."""
        query = (
            select(sessions)
            .where(
                sessions.c.user_id == user_id,
                sessions.c.second_factor_done.is_(True),
                sessions.c.expires_at > now,
                sessions.c.last_seen_at > now - IDLE_LIMIT,
            )
            .order_by(sessions.c.last_seen_at.desc())
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            SessionSummary(
                id=row.id,
                created_at=as_utc(row.created_at),  # type: ignore[arg-type]
                last_seen_at=as_utc(row.last_seen_at),  # type: ignore[arg-type]
                address=row.address,
                user_agent=row.user_agent,
            )
            for row in rows
        ]

    async def touch(self, digest: str, now: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(sessions).where(sessions.c.id == digest).values(last_seen_at=now)
            )

    async def pass_second_factor(self, digest: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(sessions).where(sessions.c.id == digest).values(second_factor_done=True)
            )

    async def delete(self, digest: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(sessions).where(sessions.c.id == digest))

    async def delete_for_user(self, user_id: int, keep: str | None = None) -> None:
        """End every session of a user (password change, disabling), except `keep`."""
        query = delete(sessions).where(sessions.c.user_id == user_id)
        if keep is not None:
            query = query.where(sessions.c.id != keep)
        async with self._engine.begin() as conn:
            await conn.execute(query)

    async def delete_expired(self, now: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(sessions).where(sessions.c.expires_at < now))
