"""/api/models: the names people see and route by: served models plus the operator's
catalog rows (aliases, hidden models, descriptions, order)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fourk.api.context import SERVICES
from fourk.api.manage.fields import Fields
from fourk.api.manage.wire import answer, read_fields
from fourk.routing.catalog import CatalogEntry
from fourk.services.models_catalog import ModelsAdmin

ENTRY_FIELDS = ("alias_of", "visible", "description", "position")


def _admin(request: web.Request) -> ModelsAdmin:
    services = request.app[SERVICES]
    return ModelsAdmin(services.store, services.directory)


def decode_changes(fields: Fields) -> dict[str, Any]:
    """The fields present in the body, typed (null clears alias_of and description)."""
    readers = {
        "alias_of": fields.text,
        "visible": fields.boolean,
        "description": fields.text,
        "position": fields.integer,
    }
    changes = {name: read(name) for name, read in readers.items() if fields.has(name)}
    for name in ("visible", "position"):
        if name in changes and changes[name] is None:
            del changes[name]
    return changes


async def _view(request: web.Request, name: str) -> dict[str, Any]:
    views = await _admin(request).all()
    return next(v.encode() for v in views if v.name == name)


async def list_models(request: web.Request) -> web.Response:
    return answer({"data": [v.encode() for v in await _admin(request).all()]})


async def create_model(request: web.Request) -> web.Response:
    fields = (await read_fields(request)).only(("name", *ENTRY_FIELDS))
    name = fields.text("name", required=True) or ""
    entry = CatalogEntry(name=name, **decode_changes(fields))
    created = await _admin(request).create(entry)
    return answer(await _view(request, created.name), status=201)


async def patch_model(request: web.Request) -> web.Response:
    fields = (await read_fields(request)).only(ENTRY_FIELDS)
    entry = await _admin(request).change(request.match_info["name"], decode_changes(fields))
    return answer(await _view(request, entry.name))


async def delete_model(request: web.Request) -> web.Response:
    await _admin(request).delete(request.match_info["name"])
    return answer({"deleted": True})
