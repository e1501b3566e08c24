"""How each channel has been doing lately, from the request log (for the operator's pages)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from fourk.store.db import as_utc
from fourk.store.tables import request_logs


@dataclass(frozen=True, slots=True)
class ChannelStats:
    requests: int
    failures: int
    last_at: datetime | None


class ChannelStatsReader:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def since(self, start: datetime) -> dict[int, ChannelStats]:
        """Requests and failures per channel since `start` (uses the created_at index)."""
        failed = or_(request_logs.c.status != 200, request_logs.c.error_code.is_not(None))
        query = (
            select(
                request_logs.c.channel_id,
                func.count(),
                func.sum(case((failed, 1), else_=0)),
                func.max(request_logs.c.created_at),
            )
            .where(request_logs.c.created_at >= start, request_logs.c.channel_id.is_not(None))
            .group_by(request_logs.c.channel_id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {
            int(channel_id): ChannelStats(int(count), int(failures or 0), as_utc(last))
            for channel_id, count, failures, last in rows
        }
