"""/api/redemption-codes: batches of codes (redeemed and unredeemed counts; one batch's codes
with who redeemed each, when), and making a batch (the codes are in the answer, once)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from fourk.api.context import SERVICES
from fourk.api.manage.access import caller
from fourk.api.manage.wire import answer, read_fields
from fourk.services.redemption import create_batch
from fourk.services.redemption_code import BatchRequest
from fourk.store.redemption_codes import BatchSummary, CodeRecord


def encode_batch(batch: BatchSummary) -> dict[str, Any]:
    return {
        "batch": batch.batch,
        "amount": batch.amount,
        "count": batch.count,
        "redeemed": batch.redeemed,
        "expired": batch.expired,
        "created_at": batch.created_at,
        "expires_at": batch.expires_at,
    }


def encode_code(code: CodeRecord) -> dict[str, Any]:
    return {
        "id": code.id,
        "amount": code.amount,
        "expires_at": code.expires_at,
        "created_at": code.created_at,
        "redeemed_by": code.redeemed_by,
        "redeemed_by_name": code.redeemed_by_name,
        "redeemed_at": code.redeemed_at,
    }


async def list_batches(request: web.Request) -> web.Response:
    codes = request.app[SERVICES].store.redemption_codes
    batches = await codes.batches(datetime.now(UTC))
    wanted = request.query.get("batch")
    if wanted is None:
        return answer({"data": [encode_batch(b) for b in batches]})
    return answer(
        {
            "data": [encode_batch(b) for b in batches if b.batch == wanted],
            "codes": [encode_code(c) for c in await codes.in_batch(wanted)],
        }
    )


async def make_batch(request: web.Request) -> web.Response:
    fields = (await read_fields(request)).only(("count", "amount", "expires_in_days", "batch"))
    count = fields.integer("count")
    wanted = BatchRequest(
        count=1 if count is None else count,
        amount=fields.money("amount", required=True) or 0,
        days=fields.integer("expires_in_days"),
        label=fields.text("batch") or "",
    )
    made = await create_batch(request.app[SERVICES].store, caller(request).id, wanted)
    return answer(
        {
            "batch": made.label,
            "amount": made.amount,
            "expires_at": made.expires_at,
            "codes": made.codes,
        },
        status=201,
    )
