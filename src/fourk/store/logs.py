"""The request log: one row per relayed request, written in batches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from fourk.store.db import as_utc
from fourk.store.tables import request_logs


@dataclass(slots=True)
class LogRow:
    request_id: str
    created_at: datetime
    user_id: int
    key_id: int
    model: str
    endpoint: str
    stream: bool
    status: int
    duration_ms: int
    channel_id: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    ttfb_ms: int | None = None
    attempts: int = 1
    client: str | None = None
    client_version: str | None = None


def _row(row: Any) -> LogRow:
    values = {name: getattr(row, name) for name in LogRow.__dataclass_fields__}
    values["created_at"] = as_utc(values["created_at"])
    return LogRow(**values)


class RequestLogs:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def insert_many(self, rows: Sequence[LogRow]) -> None:
        """One transaction for the whole batch: it is durable when this returns."""
        async with self._engine.begin() as conn:
            await conn.execute(request_logs.insert(), [asdict(row) for row in rows])

    async def recent(
        self,
        *,
        user_id: int | None = None,
        key_id: int | None = None,
        limit: int = 50,
        before_id: int | None = None,
    ) -> list[LogRow]:
        """Newest first, paginated by id (a cursor), never by offset."""
        query = select(request_logs).order_by(request_logs.c.id.desc()).limit(limit)
        if user_id is not None:
            query = query.where(request_logs.c.user_id == user_id)
        if key_id is not None:
            query = query.where(request_logs.c.key_id == key_id)
        if before_id is not None:
            query = query.where(request_logs.c.id < before_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_row(row) for row in rows]
