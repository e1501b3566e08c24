"""/api/settings, /api/invites and /api/tokens: the operator's site settings, sign-up
invite codes, and management tokens."""

from __future__ import annotations

from aiohttp import web

from fourk.api.context import SERVICES
from fourk.api.manage.access import caller
from fourk.api.manage.wire import answer, encode_invite, encode_key, path_int, read_fields
from fourk.services.invite_codes import create_invite
from fourk.services.manage_tokens import all_tokens, create_token, revoke_token
from fourk.services.site_admin import change_site, site_view


async def get_settings(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    return answer(site_view(services.directory.site, services.settings.base_url))


async def patch_settings(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    fields = await read_fields(request)
    site = await change_site(services.store, services.directory, fields.raw())
    return answer(site_view(site, services.settings.base_url))


async def list_invites(request: web.Request) -> web.Response:
    invites = await request.app[SERVICES].store.invites.all()
    return answer({"data": [encode_invite(i) for i in invites]})


async def make_invite(request: web.Request) -> web.Response:
    fields = (await read_fields(request)).only(("max_uses", "expires_in_days"))
    uses = fields.integer("max_uses")
    invite = await create_invite(
        request.app[SERVICES].store,
        caller(request),
        1 if uses is None else uses,
        fields.integer("expires_in_days"),
    )
    return answer(encode_invite(invite), status=201)


async def list_tokens(request: web.Request) -> web.Response:
    tokens = await all_tokens(request.app[SERVICES].store)
    return answer({"data": [encode_key(t) for t in tokens]})


async def make_token(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    fields = (await read_fields(request)).only(("name", "expires_in_days"))
    new = await create_token(
        services.store,
        services.directory,
        caller(request),
        fields.text("name") or "",
        fields.integer("expires_in_days"),
    )
    return answer({"key": encode_key(new.record), "secret": new.secret}, status=201)


async def revoke(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    token = await revoke_token(services.store, services.directory, path_int(request, "token_id"))
    return answer(encode_key(token))
