"""/api/me: the caller's own account and API keys."""

from __future__ import annotations

from aiohttp import web

from fourk.api.context import SERVICES
from fourk.api.manage.access import caller
from fourk.api.manage.wire import answer, encode_key, path_int, read_fields
from fourk.services.own_keys import create_own_key, own_keys, revoke_own_key


async def get_me(request: web.Request) -> web.Response:
    user = caller(request)
    return answer(
        {
            "id": user.id,
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role,
        }
    )


async def list_keys(request: web.Request) -> web.Response:
    keys = await own_keys(request.app[SERVICES].store, caller(request))
    return answer({"data": [encode_key(k) for k in keys]})


async def create_key(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    fields = (await read_fields(request)).only(("name", "models", "expires_in_days"))
    new = await create_own_key(
        services.store,
        services.directory,
        caller(request),
        name=fields.text("name") or "",
        models=fields.texts("models"),
        days=fields.integer("expires_in_days"),
    )
    return answer({"key": encode_key(new.record), "secret": new.secret}, status=201)


async def revoke_key(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    key = await revoke_own_key(
        services.store, services.directory, caller(request), path_int(request, "key_id")
    )
    return answer(encode_key(key))
