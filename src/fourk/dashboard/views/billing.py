"""The user's money: balance, spend per day, their own ledger (paged by id), and redeeming a
code. The insufficient_quota error sends people here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from fourk.api.context import SERVICES
from fourk.dashboard.activity import WINDOW_DAYS, fill_days, headline, totals_since
from fourk.dashboard.charts import bar_chart, compact_dollars
from fourk.dashboard.render import render
from fourk.dashboard.session import current_user, login_required, see_other
from fourk.dashboard.throttling import client_address
from fourk.dashboard.views.admin_form import read_form
from fourk.errors import RateLimited
from fourk.services.redemption import Redeemer
from fourk.store.redemption_codes import CodeRefused

PAGE_SIZE = 50
KIND_LABELS = {  # a ledger row's kind, for people
    "charge": "Request",
    "topup": "Top-up",
    "deduct": "Deduction",
    "redeem": "Code redeemed",
    "initial": "Sign-up credit",
}


@dataclass(frozen=True, slots=True)
class Message:
    """A line for the page: English text (the catalog key) and its values."""

    text: str
    values: dict[str, Any] = field(default_factory=dict)


def add_routes(router: web.UrlDispatcher) -> None:
    """Register this area's routes (names start with "dash:")."""
    router.add_get("/billing", billing_page, name="dash:billing")
    router.add_post("/billing/redeem", redeem_action, name="dash:billing-redeem")


def cursor(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


async def _page(
    request: web.Request,
    *,
    error: Message | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> web.Response:
    store = request.app[SERVICES].store
    user = current_user(request)
    assert user is not None  # login_required ran
    today = datetime.now(UTC).date()
    totals = await store.log_reader.daily_totals(user.id, totals_since(today))
    days = fill_days(totals, today)
    before = cursor(request.query.get("before"))
    entries = await store.ledger.history(user.id, before=before, limit=PAGE_SIZE + 1)
    return render(
        request,
        "billing/index.html",
        status=status,
        headers=headers,
        balance=await store.ledger.balance(user.id),
        headline=headline(totals, today),
        window=WINDOW_DAYS,
        spend_chart=bar_chart([d.day for d in days], [[d.cost for d in days]], compact_dollars),
        entries=entries[:PAGE_SIZE],
        older=entries[PAGE_SIZE - 1].id if len(entries) > PAGE_SIZE else None,
        paged=before is not None,
        kinds=KIND_LABELS,
        error=error,
        done=request.query.get("done"),
    )


@login_required
async def billing_page(request: web.Request) -> web.StreamResponse:
    return await _page(request)


@login_required
async def redeem_action(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    user = current_user(request)
    assert user is not None  # login_required ran
    form = await read_form(request)
    redeemer = Redeemer(services.store, services.throttle, services.biller)
    try:
        await redeemer.redeem(user.id, form.text("code"), client_address(request))
    except CodeRefused as refused:
        return await _page(request, error=Message(str(refused)), status=400)
    except RateLimited as limited:
        wait = limited.retry_after or 60
        text = "Too many wrong codes. Try again in {seconds} seconds."
        message = Message(text, {"seconds": wait})
        return await _page(request, error=message, status=429, headers={"Retry-After": str(wait)})
    return see_other(request, "/billing?done=redeemed")
