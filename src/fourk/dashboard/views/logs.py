"""The request log: a user's own requests, filtered and paged by id, and each one's detail.

The filter form is a plain GET form (it works without JavaScript); with htmx it swaps only
the table (`#log-table`) and pushes the URL, so a reload or a shared link shows the same rows.
Pages are cut by id (`?before=` older, `?after=` newer), never by OFFSET.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from aiohttp import web

from fourk.api.context import SERVICES
from fourk.dashboard.render import render
from fourk.dashboard.session import current_user, login_required, prefix_of
from fourk.store.log_reader import LogQuery

PAGE_SIZE = 50
FACET_DAYS = 90  # the filter offers the models and codes seen in this many days
TABLE_ID = "log-table"


@dataclass(frozen=True, slots=True)
class Filters:
    """The filter form's values as typed (empty: no filter); only valid ones survive."""

    key: str = ""
    model: str = ""
    status: str = ""
    since: str = ""  # YYYY-MM-DD, UTC, inclusive
    until: str = ""  # YYYY-MM-DD, UTC, inclusive

    def params(self) -> dict[str, str]:
        return {name: value for name, value in asdict(self).items() if value}

    def href(self, **cursor: int | None) -> str:
        """The query string of these filters (and a cursor); "" when there is nothing."""
        values = {**self.params(), **{k: str(v) for k, v in cursor.items() if v is not None}}
        return "?" + urlencode(values) if values else ""


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _cursor(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def read_filters(params: Mapping[str, str], own_keys: set[int]) -> Filters:
    key = params.get("key", "").strip()
    since = params.get("since", "").strip()
    until = params.get("until", "").strip()
    return Filters(
        key=key if key.isdigit() and int(key) in own_keys else "",
        model=params.get("model", "").strip()[:128],
        status=params.get("status", "").strip()[:64],
        since=since if _day(since) else "",
        until=until if _day(until) else "",
    )


def log_query(user_id: int, filters: Filters, params: Mapping[str, str]) -> LogQuery:
    since, until = _day(filters.since), _day(filters.until)
    return LogQuery(
        user_id=user_id,
        key_id=int(filters.key) if filters.key else None,
        model=filters.model or None,
        status=filters.status or None,
        since=datetime.combine(since, time(), tzinfo=UTC) if since else None,
        until=datetime.combine(until + timedelta(days=1), time(), tzinfo=UTC) if until else None,
        before=_cursor(params.get("before")),
        after=_cursor(params.get("after")),
        limit=PAGE_SIZE,
    )


def _wants_table(request: web.Request) -> bool:
    """An htmx swap of the table (a history restore wants the whole page)."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Target") == TABLE_ID
        and headers.get("HX-History-Restore-Request") != "true"
    )


@login_required
async def logs_page(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    user = current_user(request)
    assert user is not None  # login_required ran
    keys = [k for k in await services.store.keys.all(user.id) if k.scope == "inference"]
    filters = read_filters(request.query, {k.id for k in keys})
    query = log_query(user.id, filters, request.query)
    page = await services.store.log_reader.page(query)
    since = datetime.now(UTC) - timedelta(days=FACET_DAYS)
    facets = await services.store.log_reader.facets(user.id, since)
    models = sorted({*facets.models, *services.directory.served_models()})
    fragment = _wants_table(request)
    # htmx puts this in the address bar: the same filters, without the form's empty fields
    address = prefix_of(request) + "/logs" + filters.href(before=query.before, after=query.after)
    return render(
        request,
        "logs/index.html",
        block="table" if fragment else None,
        headers={"HX-Push-Url": address} if fragment else None,
        table_id=TABLE_ID,
        filters=filters,
        page=page,
        paged=query.before is not None or query.after is not None,
        keys=keys,
        key_names={k.id: k.name for k in keys},
        models=models,
        codes=facets.codes,
    )


@login_required
async def log_detail(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    user = current_user(request)
    assert user is not None  # login_required ran
    entry = await services.store.log_reader.entry(user.id, request.match_info["request_id"])
    if entry is None:  # someone else's request looks exactly like no request
        raise web.HTTPNotFound(text="There is no request with this ID in your log.")
    key = await services.store.keys.by_id(entry.key_id)
    channel = None
    if user.is_admin and entry.channel_id is not None:
        names = {c.id: c.name for c in services.directory.channels}
        channel = names.get(entry.channel_id, f"#{entry.channel_id}")
    return render(
        request,
        "logs/detail.html",
        entry=entry,
        key_name=key.name if key else None,
        channel=channel,
    )


def add_routes(router: web.UrlDispatcher) -> None:
    """Register this area's routes (names start with "dash:")."""
    router.add_get("/logs", logs_page, name="dash:logs")
    router.add_get("/logs/{request_id}", log_detail, name="dash:log-detail")
