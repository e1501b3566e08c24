"""Reading the request log for people: last use of each key, pages of rows, daily sums.

(Writing is `logs.py`'s job, on the hot path; this module is only for the dashboard and API.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from fourk.store.db import as_utc
from fourk.store.tables import request_logs


@dataclass(frozen=True, slots=True)
class LastSeen:
    at: datetime
    model: str
    status: int
    error_code: str | None
    client: str | None
    client_version: str | None

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.error_code


class LogReader:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def last_seen(self, key_ids: Sequence[int]) -> dict[int, LastSeen]:
        """The newest request of each key (one indexed lookup per key)."""
        if not key_ids:
            return {}
        newest = (
            select(func.max(request_logs.c.id))
            .where(request_logs.c.key_id.in_(list(key_ids)))
            .group_by(request_logs.c.key_id)
        )
        query = select(request_logs).where(request_logs.c.id.in_(newest))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {
            row.key_id: LastSeen(
                at=as_utc(row.created_at),  # type: ignore[arg-type]
                model=row.model,
                status=row.status,
                error_code=row.error_code,
                client=row.client,
                client_version=row.client_version,
            )
            for row in rows
        }
