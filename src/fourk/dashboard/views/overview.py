"""The user's overview: requests, tokens, errors and spend per day, headline numbers (the
balance among them), last requests."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from fourk.api.context import SERVICES
from fourk.dashboard.activity import WINDOW_DAYS, fill_days, headline, totals_since
from fourk.dashboard.charts import bar_chart, compact, compact_dollars
from fourk.dashboard.render import render
from fourk.dashboard.session import current_user, login_required
from fourk.store.log_reader import LogQuery

RECENT = 10


@login_required
async def overview_page(request: web.Request) -> web.StreamResponse:
    store = request.app[SERVICES].store
    user = current_user(request)
    assert user is not None  # login_required ran
    today = datetime.now(UTC).date()
    totals = await store.log_reader.daily_totals(user.id, totals_since(today))
    recent = await store.log_reader.page(LogQuery(user_id=user.id, limit=RECENT))
    keys = {k.id: k.name for k in await store.keys.all(user.id)}
    days = fill_days(totals, today)
    dates = [d.day for d in days]
    return render(
        request,
        "overview/index.html",
        days=days,
        window=WINDOW_DAYS,
        headline=headline(totals, today),
        requests_chart=bar_chart(dates, [[d.requests for d in days]]),
        tokens_chart=bar_chart(
            dates, [[d.input_tokens for d in days], [d.output_tokens for d in days]]
        ),
        errors_chart=bar_chart(dates, [[d.errors for d in days]]),
        spend_chart=bar_chart(dates, [[d.cost for d in days]], compact_dollars),
        balance=await store.ledger.balance(user.id),
        recent=recent.rows,
        key_names=keys,
        compact=compact,
    )
