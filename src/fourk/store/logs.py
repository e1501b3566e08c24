"""The request log: one row per relayed request, written in batches.

A row with a cost also writes its ledger charge and takes it off the user's balance, in the
same transaction: a request is logged and charged together or not at all.

On SQLite the batches go through the plain driver on the event loop's thread (see
_SqliteWriter): no thread hop at all, where an async SQLAlchemy transaction takes five or six,
which was most of what logging cost on the hot path.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from fourk.store.tables import ledger, request_logs, users

log = logging.getLogger("fourk.store.logs")


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
    cost: int = 0  # micro-dollars charged (a ledger row with the log row when > 0)
    cost_input: int = 0
    cost_cached_input: int = 0
    cost_cache_write: int = 0
    cost_output: int = 0
    usage_estimated: bool = False


COLUMNS = tuple(f.name for f in fields(LogRow))
_ROW_VALUES = attrgetter(*COLUMNS)  # one C call per row instead of a getattr per column


def _values(row: LogRow) -> tuple[Any, ...]:
    values: tuple[Any, ...] = _ROW_VALUES(row)
    return values


_CREATED_AT = COLUMNS.index("created_at")


def _sqlite_time(moment: datetime) -> str:
    """As SQLAlchemy stores a DateTime on SQLite: naive UTC text, so reads parse it back."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_values(row: LogRow) -> tuple[Any, ...]:
    values = list(_values(row))
    values[_CREATED_AT] = _sqlite_time(row.created_at)
    return tuple(values)


def _spent_by_user(rows: Sequence[LogRow]) -> list[tuple[int, int]]:
    """(total cost, user id) per user of a batch: one balance update per user."""
    totals: dict[int, int] = {}
    for row in rows:
        totals[row.user_id] = totals.get(row.user_id, 0) + row.cost
    return [(spent, user_id) for user_id, spent in totals.items()]


def _sqlite_charge(row: LogRow) -> tuple[Any, ...]:
    values = _charge(row)
    values["created_at"] = _sqlite_time(row.created_at)
    return tuple(values.values())


def _charge(row: LogRow) -> dict[str, Any]:
    """The ledger row that charges a request (written with its log row)."""
    return {
        "user_id": row.user_id,
        "amount": -row.cost,
        "kind": "charge",
        "reason": None,
        "request_id": row.request_id,
        "key_id": row.key_id,
        "actor_id": None,
        "created_at": row.created_at,
    }


_LEDGER_COLUMNS = (
    "user_id",
    "amount",
    "kind",
    "reason",
    "request_id",
    "key_id",
    "actor_id",
    "created_at",
)  # the keys of _charge, in order


class _SqliteWriter:
    """Commits batches on the event loop's own thread, with a thread only as a fallback.

    A WAL commit with synchronous=NORMAL is a write into the OS page cache (durable against
    a killed process, which is the promise): tens of microseconds, cheaper than handing the
    batch to a thread and back, which costs a dozen GIL hand-offs and wake-ups per batch.
    What could make it slow stays off the loop: the loop's connection never waits for a lock
    (busy timeout 0: if another writer holds the database, the batch goes to the thread,
    which waits) and never checkpoints (the thread checkpoints the WAL about once a second).
    """

    _SQL = (
        f"INSERT INTO request_logs ({', '.join(COLUMNS)}) "
        f"VALUES ({', '.join('?' for _ in COLUMNS)})"
    )
    _CHARGE_SQL = (
        f"INSERT INTO ledger ({', '.join(_LEDGER_COLUMNS)}) "
        f"VALUES ({', '.join('?' for _ in _LEDGER_COLUMNS)})"
    )
    _BALANCE_SQL = "UPDATE users SET balance = balance - ? WHERE id = ?"
    CHECKPOINT_EVERY = 1.0  # seconds between WAL checkpoints while rows are written

    def __init__(self, path: str) -> None:
        self._path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="request-log")
        self._inline: sqlite3.Connection | None = None
        self._patient: sqlite3.Connection | None = None  # used on the thread only
        self._checkpoint: asyncio.Future[None] | None = None
        self._last_checkpoint = 0.0

    def _connect(self, timeout: float) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self._path, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    @classmethod
    def _commit(cls, conn: sqlite3.Connection, rows: list[LogRow]) -> None:
        charged = [row for row in rows if row.cost]
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(cls._SQL, [_sqlite_values(row) for row in rows])
            if charged:
                conn.executemany(cls._CHARGE_SQL, [_sqlite_charge(row) for row in charged])
                conn.executemany(cls._BALANCE_SQL, _spent_by_user(charged))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _patient_conn(self) -> sqlite3.Connection:
        if self._patient is None:
            self._patient = self._connect(timeout=30)
        return self._patient

    def _write_patiently(self, rows: list[LogRow]) -> None:
        self._commit(self._patient_conn(), rows)

    def _checkpoint_wal(self) -> None:
        try:
            self._patient_conn().execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error:
            log.warning("request log: WAL checkpoint failed; will try again", exc_info=True)

    async def write(self, rows: list[LogRow]) -> None:
        loop = asyncio.get_running_loop()
        if self._inline is None:
            self._inline = self._connect(timeout=0)
            self._inline.execute("PRAGMA wal_autocheckpoint=0")
        try:
            self._commit(self._inline, rows)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise
            await loop.run_in_executor(self._executor, self._write_patiently, rows)
        now = loop.time()
        if now - self._last_checkpoint >= self.CHECKPOINT_EVERY and (
            self._checkpoint is None or self._checkpoint.done()
        ):
            self._last_checkpoint = now
            self._checkpoint = loop.run_in_executor(self._executor, self._checkpoint_wal)

    def _close(self) -> None:
        for conn in (self._inline, self._patient):
            if conn is not None:
                conn.close()
        self._inline = self._patient = None

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
            await self._sqlite.write(list(rows))
            return
        charged = [row for row in rows if row.cost]
        async with self._engine.begin() as conn:
            await conn.execute(
                request_logs.insert(),
                [dict(zip(COLUMNS, _values(row), strict=True)) for row in rows],
            )
            if charged:
                await conn.execute(ledger.insert(), [_charge(row) for row in charged])
                for spent, user_id in _spent_by_user(charged):
                    await conn.execute(
                        update(users)
                        .where(users.c.id == user_id)
                        .values(balance=users.c.balance - spent)
                    )

    async def close(self) -> None:
        if self._sqlite is not None:
            await self._sqlite.close()
