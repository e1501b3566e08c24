"""/api/me/balance, /api/me/ledger, /api/me/redeem, /api/users/{id}/balance, /api/ledger:
balances and the ledger. Money is integer micro-dollars in answers; in bodies, an integer of
micro-dollars or dollars as text ("2.50")."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fourk.api.context import SERVICES
from fourk.api.manage.access import caller
from fourk.api.manage.errors import Conflict
from fourk.api.manage.wire import answer, path_int, read_fields
from fourk.billing.pricing import format_dollars
from fourk.errors import InvalidRequest
from fourk.services.money_admin import change_balance
from fourk.services.redemption import Redeemer
from fourk.store.ledger import Entry
from fourk.store.redemption_codes import CodeRefused

MAX_LIMIT = 200


def encode_entry(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "user_id": entry.user_id,
        "amount": entry.amount,
        "kind": entry.kind,
        "reason": entry.reason,
        "request_id": entry.request_id,
        "key_id": entry.key_id,
        "actor_id": entry.actor_id,
        "created_at": entry.created_at,
    }


def encode_balance(user_id: int, balance: int) -> dict[str, Any]:
    return {"user_id": user_id, "balance": balance, "display": format_dollars(balance)}


def _paging(request: web.Request) -> tuple[int | None, int]:
    """(before, limit) from the query string; bad values are a 400."""
    try:
        before = int(request.query["before"]) if "before" in request.query else None
        limit = int(request.query.get("limit", "50"))
    except ValueError:
        raise InvalidRequest("before and limit must be whole numbers.") from None
    return before, max(1, min(limit, MAX_LIMIT))


async def _ledger_page(request: web.Request, user_id: int | None) -> web.Response:
    before, limit = _paging(request)
    ledger = request.app[SERVICES].store.ledger
    entries = await ledger.history(user_id, before=before, limit=limit + 1)
    more = len(entries) > limit
    return answer(
        {
            "data": [encode_entry(e) for e in entries[:limit]],
            "next_before": entries[limit - 1].id if more else None,
        }
    )


async def my_balance(request: web.Request) -> web.Response:
    user = caller(request)
    balance = await request.app[SERVICES].store.ledger.balance(user.id)
    return answer(encode_balance(user.id, balance))


async def my_ledger(request: web.Request) -> web.Response:
    return await _ledger_page(request, caller(request).id)


async def redeem(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    fields = (await read_fields(request)).only(("code",))
    code = fields.text("code", required=True) or ""
    redeemer = Redeemer(services.store, services.throttle, services.biller)
    try:
        done = await redeemer.redeem(caller(request).id, code, request.remote)
    except CodeRefused as refused:
        if refused.reason == "used":
            raise Conflict(str(refused), code="code_used", param="code") from None
        raise InvalidRequest(str(refused), code=f"code_{refused.reason}", param="code") from None
    return answer({"amount": done.amount, **encode_balance(caller(request).id, done.balance)})


async def change_user_balance(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    fields = (await read_fields(request)).only(("kind", "amount", "reason"))
    user_id = path_int(request, "user_id")
    balance = await change_balance(
        services.store,
        services.biller,
        user_id,
        fields.text("kind", required=True) or "",
        fields.money("amount", required=True) or 0,
        fields.text("reason", required=True) or "",
        caller(request).id,
    )
    return answer(encode_balance(user_id, balance))


async def all_ledger(request: web.Request) -> web.Response:
    raw = request.query.get("user_id")
    if raw is not None and not raw.isdigit():
        raise InvalidRequest("user_id must be a whole number.", param="user_id")
    return await _ledger_page(request, int(raw) if raw else None)
