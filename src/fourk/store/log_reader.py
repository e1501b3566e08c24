"""Reading the request log for people: last use of each key, pages of rows, daily sums.

(Writing is `logs.py`'s job, on the hot path; this module is only for the dashboard and API.)
Every query here is about one user's rows and goes through the (user_id, id) index; pages are
cut by id (a cursor), never by OFFSET, so page 1000 costs what page 1 costs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, not_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from fourk.store.db import as_utc
from fourk.store.tables import request_logs

_OK = and_(request_logs.c.status == 200, request_logs.c.error_code.is_(None))


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


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One request as the dashboard shows it."""

    id: int
    request_id: str
    created_at: datetime
    key_id: int
    channel_id: int | None
    model: str
    endpoint: str
    stream: bool
    status: int
    error_code: str | None
    error_message: str | None
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    reasoning_tokens: int
    ttfb_ms: int | None
    duration_ms: int
    attempts: int
    client: str | None
    client_version: str | None

    cost: int = 0  # micro-dollars charged
    cost_input: int = 0
    cost_cached_input: int = 0
    cost_cache_write: int = 0
    cost_output: int = 0
    usage_estimated: bool = False

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.error_code


@dataclass(frozen=True, slots=True)
class LogQuery:
    """Which of one user's rows to show. `status` is "ok", "error", an HTTP status ("429")
    or an error code ("model_not_found"); `since` is inclusive, `until` exclusive. At most one
    of `before` (older than this id) and `after` (newer than this id) is a cursor."""

    user_id: int
    key_id: int | None = None
    model: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before: int | None = None
    after: int | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class LogPage:
    rows: list[LogEntry]  # newest first
    newer: int | None  # show the rows after this id (?after=), when there are any
    older: int | None  # show the rows before this id (?before=), when there are any


@dataclass(frozen=True, slots=True)
class DayTotals:
    day: date  # UTC
    requests: int
    errors: int
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    cost: int = 0  # micro-dollars charged


@dataclass(frozen=True, slots=True)
class Facets:
    """What a user's recent rows hold, for the filter's choices."""

    models: list[str]
    codes: list[str]  # HTTP statuses and error codes of failed requests


def _status_condition(status: str) -> ColumnElement[bool]:
    if status == "ok":
        return _OK
    if status == "error":
        return not_(_OK)
    if status.isdigit():
        return request_logs.c.status == int(status)
    return request_logs.c.error_code == status


def _conditions(query: LogQuery) -> list[ColumnElement[bool]]:
    c = request_logs.c
    found: list[ColumnElement[bool]] = [c.user_id == query.user_id]
    if query.key_id is not None:
        found.append(c.key_id == query.key_id)
    if query.model:
        found.append(c.model == query.model)
    if query.status:
        found.append(_status_condition(query.status))
    if query.since is not None:
        found.append(c.created_at >= query.since)
    if query.until is not None:
        found.append(c.created_at < query.until)
    return found


def _entry(row: Any) -> LogEntry:
    values = dict(row._mapping)
    values.pop("user_id")
    values["created_at"] = as_utc(values["created_at"])
    values["stream"] = bool(values["stream"])
    values["usage_estimated"] = bool(values["usage_estimated"])
    return LogEntry(**values)


def _day_expression(dialect: str) -> ColumnElement[Any]:
    """The UTC calendar day of created_at as 'YYYY-MM-DD' text."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", request_logs.c.created_at), "YYYY-MM-DD")
    return func.date(request_logs.c.created_at)  # SQLite keeps naive UTC text


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

    async def page(self, query: LogQuery) -> LogPage:
        """One page of rows, newest first, and the cursors to the pages beside it."""
        c = request_logs.c
        forward = query.after is not None  # reading towards newer rows
        where = _conditions(query)
        if query.after is not None:
            where.append(c.id > query.after)
        elif query.before is not None:
            where.append(c.id < query.before)
        order = c.id.asc() if forward else c.id.desc()
        statement = select(request_logs).where(*where).order_by(order).limit(query.limit + 1)
        async with self._engine.connect() as conn:
            rows = [_entry(row) for row in (await conn.execute(statement)).all()]
            more = len(rows) > query.limit
            rows = rows[: query.limit]
            if forward:
                rows.reverse()
            if not rows:
                return LogPage(rows=[], newer=None, older=None)
            if forward:
                newer, older = more, await self._any(conn, query, c.id < rows[-1].id)
            else:
                cursor = query.before is not None
                newer = cursor and await self._any(conn, query, c.id > rows[0].id)
                older = more
        return LogPage(
            rows=rows, newer=rows[0].id if newer else None, older=rows[-1].id if older else None
        )

    async def _any(self, conn: Any, query: LogQuery, beyond: ColumnElement[bool]) -> bool:
        probe = select(request_logs.c.id).where(*_conditions(query), beyond).limit(1)
        return (await conn.execute(probe)).first() is not None

    async def entry(self, user_id: int, request_id: str) -> LogEntry | None:
        """One request of this user (None for another user's request: they look the same)."""
        query = select(request_logs).where(
            request_logs.c.request_id == request_id, request_logs.c.user_id == user_id
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return _entry(row) if row else None

    async def daily_totals(self, user_id: int, since: datetime) -> list[DayTotals]:
        """Requests, errors, tokens and cost per UTC day from `since` on, oldest first; days
        without requests are left out."""
        c = request_logs.c
        day = _day_expression(self._engine.dialect.name).label("day")
        query = (
            select(
                day,
                func.count(),
                func.sum(case((_OK, 0), else_=1)),
                func.sum(c.input_tokens),
                func.sum(c.cached_tokens),
                func.sum(c.output_tokens),
                func.sum(c.cost),
            )
            .where(c.user_id == user_id, c.created_at >= since)
            .group_by(day)
            .order_by(day)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            DayTotals(date.fromisoformat(str(r[0])), *(int(v or 0) for v in r[1:])) for r in rows
        ]

    async def facets(self, user_id: int, since: datetime) -> Facets:
        c = request_logs.c
        mine = and_(c.user_id == user_id, c.created_at >= since)
        models = select(c.model).where(mine).distinct().order_by(c.model)
        failed = select(c.status, c.error_code).where(mine, not_(_OK)).distinct()
        async with self._engine.connect() as conn:
            names = [str(r[0]) for r in (await conn.execute(models)).all()]
            pairs = (await conn.execute(failed)).all()
        statuses = sorted({str(status) for status, _ in pairs if status != 200})
        codes = sorted({str(code) for _, code in pairs if code})
        return Facets(models=names, codes=statuses + codes)
