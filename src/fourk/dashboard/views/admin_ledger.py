"""Operator → Ledger: every change to every balance, newest first, for one user or all, paged
by id (`?before=`), with who made each manual change."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from fourk.api.context import SERVICES
from fourk.dashboard.render import render
from fourk.dashboard.session import admin_required
from fourk.dashboard.views.billing import KIND_LABELS, cursor

PAGE_SIZE = 100


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/ledger", ledger_page, name="dash:admin-ledger")


def page_href(username: str, before: int | None = None) -> str:
    values = {"user": username} if username else {}
    if before is not None:
        values["before"] = str(before)
    return "/admin/ledger" + ("?" + urlencode(values) if values else "")


@admin_required
async def ledger_page(request: web.Request) -> web.StreamResponse:
    store = request.app[SERVICES].store
    username = request.query.get("user", "").strip()[:64]
    person = await store.users.by_name(username) if username else None
    before = cursor(request.query.get("before"))
    entries = []
    if person is not None or not username:
        user_id = person.id if person else None
        entries = await store.ledger.history(user_id, before=before, limit=PAGE_SIZE + 1)
    names = {u.id: u.username for u in await store.users.all()}
    older = entries[PAGE_SIZE - 1].id if len(entries) > PAGE_SIZE else None
    return render(
        request,
        "admin/ledger.html",
        status=404 if username and person is None else 200,
        username=username,
        person=person,
        balance=await store.ledger.balance(person.id) if person else None,
        entries=entries[:PAGE_SIZE],
        names=names,
        kinds=KIND_LABELS,
        newest_href=page_href(username) if before is not None else None,
        older_href=page_href(username, older) if older else None,
    )
