"""Operator → Pricing: every served model with the price it is billed at (the operator's or
the shipped default, marked), editing a price in dollars per million tokens, resetting one to
its default; served models without a price are flagged (they are free)."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from fourk.api.context import SERVICES
from fourk.billing.default_prices import DEFAULT_PRICES
from fourk.dashboard.render import render
from fourk.dashboard.session import admin_required, see_other
from fourk.dashboard.views.admin_form import FormValues, attempt, page_status, read_form
from fourk.errors import FourkError
from fourk.services.money_admin import reset_price, set_price
from fourk.services.price_list import PriceRow, parse_price, price_rows


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/pricing", pricing_page, name="dash:admin-pricing")
    router.add_post("/admin/pricing", save_action, name="dash:admin-pricing-save")
    router.add_post("/admin/pricing/reset", reset_action, name="dash:admin-pricing-reset")


async def rows_of(request: web.Request) -> list[PriceRow]:
    services = request.app[SERVICES]
    directory = services.directory
    operator = await services.store.prices.all()
    return price_rows(directory.by_model, operator, DEFAULT_PRICES, directory.aliases)


async def _pricing(
    request: web.Request, *, error: FourkError | None = None, typed: FormValues | None = None
) -> web.Response:
    rows = await rows_of(request)
    editing = typed.text("model") if typed else request.query.get("model", "").strip()
    current = next((r for r in rows if r.model == editing), None)
    return render(
        request,
        "admin/pricing.html",
        status=page_status(request, error),
        rows=rows,
        unpriced=[r.model for r in rows if r.served and r.free],
        editing=editing,
        current=current,
        typed=typed,
        error=error.message if error else None,
        done=request.query.get("done"),
    )


@admin_required
async def pricing_page(request: web.Request) -> web.StreamResponse:
    return await _pricing(request)


@admin_required
async def save_action(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    form = await read_form(request)

    async def save() -> None:
        price = parse_price(
            form.text("input"), form.text("cached_input"), form.text("output"),
            form.text("cache_write"),
        )  # fmt: skip
        await set_price(services.store, services.directory, form.text("model"), price)

    _, error = await attempt(save())
    if error:
        return await _pricing(request, error=error, typed=form)
    return see_other(request, "/admin/pricing?" + urlencode({"done": "saved"}))


@admin_required
async def reset_action(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    form = await read_form(request)
    _, error = await attempt(reset_price(services.store, services.directory, form.text("model")))
    if error:
        return await _pricing(request, error=error)
    return see_other(request, "/admin/pricing?done=reset")
