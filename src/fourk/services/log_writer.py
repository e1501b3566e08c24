"""Writes request-log rows in group commits without blocking any stream on its own write.

Durability rule: the relay awaits `write()` before the final event of a response leaves
fourk. `write()` returns once the row's batch has committed, and batches form on their own
(rows that arrive while one commit runs go into the next), so a busy server commits many
rows per transaction. A crash therefore cannot lose the row of a request whose client saw it
complete; at worst it loses rows of requests that had not finished.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from fourk.store.logs import LogRow, RequestLogs

log = logging.getLogger("fourk.log_writer")


class LogWriter:
    def __init__(self, logs: RequestLogs, batch_max: int = 500) -> None:
        # the writer is the log store's only user on the hot path, so it closes it too
        self._logs = logs
        self._batch_max = batch_max
        self._queue: deque[tuple[LogRow, asyncio.Future[None]]] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="log-writer")

    async def write(self, row: LogRow) -> None:
        """Queue the row and wait until it is committed (or the store failed, logged)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((row, future))
        self._wake.set()
        if self._task is None or self._task.done():
            await self._flush_now()
        await asyncio.shield(future)

    async def close(self) -> None:
        """Commit everything queued, then stop."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        await self._flush_now()
        await self._logs.close()

    async def _run(self) -> None:
        while not (self._closing and not self._queue):
            if not self._queue:
                self._wake.clear()
                if self._closing:
                    break
                await self._wake.wait()
                continue
            await self._flush_now()

    async def _flush_now(self) -> None:
        while self._queue:
            batch = [self._queue.popleft() for _ in range(min(self._batch_max, len(self._queue)))]
            await self._insert([row for row, _ in batch])
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    async def _insert(self, rows: list[LogRow]) -> None:
        try:
            await self._logs.insert_many(rows)
            return
        except Exception:
            if len(rows) == 1:
                log.exception("request log: row %s could not be written", rows[0].request_id)
                return
        # one bad row must not take its batch with it: write them one by one
        log.warning("request log: a batch of %d rows failed; writing them one by one", len(rows))
        for row in rows:
            await self._insert([row])
