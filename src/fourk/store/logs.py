"""The request log: one row per relayed request, written in batches.

On SQLite the batches go through one dedicated connection on one thread with the plain
driver: a batch costs one thread hop instead of the five or six an async SQLAlchemy
transaction takes, which is most of what logging costs on the hot path.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

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


COLUMNS = tuple(f.name for f in fields(LogRow))


def _values(row: LogRow) -> tuple[Any, ...]:
    return tuple(getattr(row, name) for name in COLUMNS)


_CREATED_AT = COLUMNS.index("created_at")


def _sqlite_values(row: LogRow) -> tuple[Any, ...]:
    """As SQLAlchemy stores a DateTime on SQLite: naive UTC text, so reads parse it back."""
    values = list(_values(row))
    values[_CREATED_AT] = row.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return tuple(values)


class _SqliteWriter:
    """One sqlite3 connection, used only from its own single thread."""

    _SQL = (
        f"INSERT INTO request_logs ({', '.join(COLUMNS)}) "
        f"VALUES ({', '.join('?' for _ in COLUMNS)})"
    )

    def __init__(self, path: str) -> None:
        self._path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="request-log")
        self._conn: sqlite3.Connection | None = None

    def _write(self, rows: list[tuple[Any, ...]]) -> None:
        if self._conn is None:
            self._conn = sqlite3.connect(self._path, timeout=30, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(self._SQL, rows)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    async def write(self, rows: list[tuple[Any, ...]]) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self._write, rows)

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self._close)
        self._executor.shutdown(wait=True)


def _sqlite_path(engine: AsyncEngine) -> str | None:
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return url.database


class RequestLogs:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        path = _sqlite_path(engine)
        self._sqlite = _SqliteWriter(path) if path else None

    async def insert_many(self, rows: Sequence[LogRow]) -> None:
        """One transaction for the whole batch: it is durable when this returns."""
        if self._sqlite is not None:
            await self._sqlite.write([_sqlite_values(row) for row in rows])
            return
        async with self._engine.begin() as conn:
            await conn.execute(
                request_logs.insert(),
                [dict(zip(COLUMNS, _values(row), strict=True)) for row in rows],
            )

    async def close(self) -> None:
        if self._sqlite is not None:
            await self._sqlite.close()
