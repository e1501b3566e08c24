"""The SQLite request-log writer: inline commits that never make the event loop wait."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from fourk.store.db import create_engine, migrate
from fourk.store.logs import LogRow, RequestLogs


def row(request_id: str) -> LogRow:
    return LogRow(
        request_id=request_id,
        created_at=datetime.now(UTC),
        user_id=1,
        key_id=1,
        model="m",
        endpoint="responses",
        stream=True,
        status=200,
        duration_ms=5,
        output_tokens=7,
    )


async def open_logs(tmp_path: Path) -> tuple[RequestLogs, Path]:
    path = tmp_path / "fourk.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await migrate(engine)
    await engine.dispose()
    return RequestLogs(create_engine(f"sqlite+aiosqlite:///{path}")), path


def stored(path: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT request_id, output_tokens FROM request_logs ORDER BY request_id"
        ).fetchall()


async def test_a_batch_is_committed_when_insert_returns(tmp_path: Path) -> None:
    logs, path = await open_logs(tmp_path)
    await logs.insert_many([row("a"), row("b")])
    assert stored(path) == [("a", 7), ("b", 7)]  # visible to another connection at once
    await logs.close()


async def test_a_locked_database_waits_off_the_loop(tmp_path: Path) -> None:
    logs, path = await open_logs(tmp_path)
    await logs.insert_many([row("a")])  # the loop's connection is open
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the database
    insert = asyncio.create_task(logs.insert_many([row("b")]))
    ticks = 0
    for _ in range(10):  # the loop keeps running while the batch waits for the lock
        await asyncio.sleep(0.01)
        ticks += 1
    assert ticks == 10 and not insert.done()
    holder.execute("COMMIT")
    holder.close()
    await asyncio.wait_for(insert, 5)
    assert [r[0] for r in stored(path)] == ["a", "b"]
    await logs.close()
