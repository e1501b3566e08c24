"""/api/channels: upstream channels (list, create, change, delete, test). The upstream
secret goes in (api_key) and never comes out."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fourk.api.context import SERVICES
from fourk.api.manage.fields import Fields
from fourk.api.manage.wire import answer, path_int, read_fields
from fourk.errors import InvalidRequest
from fourk.services.channel_admin import (
    ChannelAdmin,
    ChannelOptions,
    ChannelPatch,
    decode_options,
)
from fourk.services.channel_probe import PROBE_TIMEOUT
from fourk.services.channels import ChannelError

PATCH_FIELDS = (
    "name",
    "kind",
    "base_url",
    "models",
    "priority",
    "weight",
    "enabled",
    "options",
    "api_key",
    "clear_api_key",
)


def _admin(request: web.Request) -> ChannelAdmin:
    services = request.app[SERVICES]
    return ChannelAdmin(services.store, services.directory)


def decode_patch(fields: Fields, current_kind: str | None = None) -> ChannelPatch:
    """A create (no `current_kind`) or a change of a channel of `current_kind`; the options
    are checked for the kind the channel will have."""
    options = fields.only(PATCH_FIELDS).mapping("options")
    kind = fields.text("kind")
    return ChannelPatch(
        name=fields.text("name"),
        kind=kind,
        base_url=fields.text("base_url"),
        models=fields.texts("models"),
        priority=fields.integer("priority"),
        weight=fields.integer("weight"),
        enabled=fields.boolean("enabled"),
        options=_options(options, kind or current_kind) if options is not None else None,
        api_key=fields.text("api_key"),
        clear_api_key=bool(fields.boolean("clear_api_key")),
    )


def _options(raw: dict[str, Any], kind: str | None) -> ChannelOptions:
    try:
        return decode_options(raw, kind)
    except ChannelError as exc:
        raise InvalidRequest(str(exc), param="options") from exc


async def _one(request: web.Request, channel_id: int) -> web.Response:
    health = request.app[SERVICES].health
    (view,) = await _admin(request).views(health, only=channel_id)
    return answer(view)


async def list_channels(request: web.Request) -> web.Response:
    views = await _admin(request).views(request.app[SERVICES].health)
    return answer({"data": views})


async def get_channel(request: web.Request) -> web.Response:
    return await _one(request, path_int(request, "channel_id"))


async def create_channel(request: web.Request) -> web.Response:
    patch = decode_patch(await read_fields(request))
    if patch.clear_api_key:
        raise InvalidRequest("clear_api_key is for changing a channel.", param="clear_api_key")
    row = await _admin(request).create(patch)
    response = await _one(request, row.id)
    response.set_status(201)
    return response


async def patch_channel(request: web.Request) -> web.Response:
    channel_id = path_int(request, "channel_id")
    admin = _admin(request)
    row = await admin.get(channel_id)
    await admin.change(channel_id, decode_patch(await read_fields(request), row.kind))
    return await _one(request, channel_id)


async def delete_channel(request: web.Request) -> web.Response:
    await _admin(request).delete(path_int(request, "channel_id"))
    return answer({"deleted": True})


async def probe(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    fields = (await read_fields(request)).only(("model",))
    result = await _admin(request).probe(
        path_int(request, "channel_id"),
        fields.text("model"),
        services.providers,
        within=min(services.settings.total_timeout, PROBE_TIMEOUT),
    )
    return answer(result.encode())
