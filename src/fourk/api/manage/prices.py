"""/api/prices: every served model's price (the operator's, the shipped default, its alias
target's, or none: free), setting one, and resetting one to its default. Prices are integer
micro-dollars per million tokens (in bodies also dollars as text, "1.25")."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fourk.api.context import SERVICES
from fourk.api.manage.wire import answer, read_fields
from fourk.billing.default_prices import DEFAULT_PRICES
from fourk.billing.pricing import Price
from fourk.errors import InvalidRequest, NotFound
from fourk.services.money_admin import reset_price, set_price
from fourk.services.price_list import PriceRow, price_rows


def encode_price(price: Price | None) -> dict[str, Any] | None:
    if price is None:
        return None
    return {
        "input": price.input,
        "cached_input": price.cached_input,
        "output": price.output,
        "cache_write": price.cache_write,
    }


def encode_row(row: PriceRow) -> dict[str, Any]:
    return {
        "model": row.model,
        "price": encode_price(row.price),
        "source": row.source,
        "default": encode_price(row.default),
        "served": row.served,
        "alias_of": row.alias_of,
    }


async def _rows(request: web.Request) -> list[PriceRow]:
    services = request.app[SERVICES]
    operator = await services.store.prices.all()
    directory = services.directory
    return price_rows(directory.by_model, operator, DEFAULT_PRICES, directory.aliases)


async def _row(request: web.Request, model: str) -> PriceRow:
    found = next((r for r in await _rows(request) if r.model == model), None)
    if found is None:
        raise NotFound(f"No channel serves '{model}' and it has no price of yours.")
    return found


async def list_prices(request: web.Request) -> web.Response:
    return answer({"data": [encode_row(r) for r in await _rows(request)]})


async def get_price(request: web.Request) -> web.Response:
    return answer(encode_row(await _row(request, request.match_info["name"])))


async def put_price(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    model = request.match_info["name"]
    fields = (await read_fields(request)).only(("input", "cached_input", "output", "cache_write"))
    fresh = fields.money("input", required=True) or 0
    cached = fields.money("cached_input")
    try:
        price = Price(
            input=fresh,
            cached_input=fresh if cached is None else cached,
            output=fields.money("output", required=True) or 0,
            cache_write=fields.money("cache_write"),
        )
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None
    await set_price(services.store, services.directory, model, price)
    return answer(encode_row(await _row(request, model)))


async def delete_price(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    removed = await reset_price(services.store, services.directory, request.match_info["name"])
    return answer({"deleted": removed})
