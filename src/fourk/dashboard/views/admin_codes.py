"""Operator → Codes: make a batch of redemption codes (shown once, to copy), list batches with
how many were redeemed, and one batch's codes with who redeemed each and when."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from fourk.api.context import SERVICES
from fourk.billing.pricing import parse_dollars
from fourk.dashboard.render import render
from fourk.dashboard.session import admin_required, current_user
from fourk.dashboard.views.admin_form import FormValues, attempt, page_status, read_form
from fourk.errors import FourkError
from fourk.services.redemption import NewBatch, create_batch
from fourk.services.redemption_code import BatchRequest


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/codes", codes_page, name="dash:admin-codes")
    router.add_post("/admin/codes", create_action, name="dash:admin-codes-create")


async def _codes(
    request: web.Request,
    *,
    error: FourkError | None = None,
    made: NewBatch | None = None,
    typed: FormValues | None = None,
) -> web.Response:
    store = request.app[SERVICES].store
    batch = request.query.get("batch", "").strip()
    return render(
        request,
        "admin/codes.html",
        status=page_status(request, error),
        batches=await store.redemption_codes.batches(datetime.now(UTC)),
        batch=batch,
        codes=await store.redemption_codes.in_batch(batch) if batch else [],
        made=made,
        typed=typed,
        now=datetime.now(UTC),
        error=error.message if error else None,
    )


@admin_required
async def codes_page(request: web.Request) -> web.StreamResponse:
    return await _codes(request)


def batch_request(form: FormValues) -> BatchRequest:
    return BatchRequest(
        count=form.integer("count", 1) or 0,
        amount=parse_dollars(form.text("value")) if form.text("value") else 0,
        days=form.integer("expires_in_days"),
        label=form.text("batch"),
    )


@admin_required
async def create_action(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    user = current_user(request)
    assert user is not None  # admin_required ran

    async def create() -> NewBatch:
        return await create_batch(request.app[SERVICES].store, user.id, batch_request(form))

    made, error = await attempt(create())
    # the codes are shown in this answer only (a redirect would have to carry them)
    return await _codes(request, error=error, made=made, typed=form if error else None)
