"""Operator → Models: the names people see (from channels) and the catalog: aliases, hidden
models, descriptions, order; and the Use key dialog's default model and review model."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fourk.api.context import SERVICES
from fourk.dashboard.render import render
from fourk.dashboard.session import admin_required, see_other
from fourk.dashboard.views.admin_form import FormValues, attempt, page_status, read_form
from fourk.errors import FourkError
from fourk.routing.catalog import CatalogEntry, channel_models
from fourk.services.models_catalog import ModelsAdmin
from fourk.services.site_admin import change_site


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/models", models_page, name="dash:admin-models")
    router.add_post("/admin/models", create_action, name="dash:admin-models-create")
    router.add_post("/admin/models/save", save_action, name="dash:admin-models-save")
    router.add_post("/admin/models/delete", delete_action, name="dash:admin-models-delete")
    router.add_post("/admin/models/defaults", defaults_action, name="dash:admin-models-defaults")


def _admin(request: web.Request) -> ModelsAdmin:
    services = request.app[SERVICES]
    return ModelsAdmin(services.store, services.directory)


async def _models(
    request: web.Request, *, error: FourkError | None = None, done: str | None = None
) -> web.Response:
    directory = request.app[SERVICES].directory
    return render(
        request,
        "admin/models.html",
        status=page_status(request, error),
        models=await _admin(request).all(),
        served=sorted(channel_models(directory.channels)),
        routable=sorted(directory.by_model),
        error=error.message if error else None,
        done=done or request.query.get("done"),
    )


@admin_required
async def models_page(request: web.Request) -> web.StreamResponse:
    return await _models(request)


def entry_changes(form: FormValues) -> dict[str, Any]:
    return {
        "visible": form.flag("visible"),
        "description": form.optional("description"),
        "position": form.integer("position", 0),
    }


@admin_required
async def create_action(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)

    async def create() -> None:
        entry = CatalogEntry(
            name=form.text("name"), alias_of=form.optional("alias_of"), **entry_changes(form)
        )
        await _admin(request).create(entry)

    _, error = await attempt(create())
    if error:
        return await _models(request, error=error)
    return see_other(request, "/admin/models?done=added")


@admin_required
async def save_action(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)

    async def save() -> None:
        await _admin(request).change(form.text("name"), entry_changes(form))

    _, error = await attempt(save())
    if error:
        return await _models(request, error=error)
    return see_other(request, "/admin/models?done=saved")


@admin_required
async def delete_action(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    _, error = await attempt(_admin(request).delete(form.text("name")))
    if error:
        return await _models(request, error=error)
    return see_other(request, "/admin/models?done=deleted")


@admin_required
async def defaults_action(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    form = await read_form(request)
    changes = {name: form.text(name) for name in ("default_model", "default_review_model")}
    _, error = await attempt(change_site(services.store, services.directory, changes))
    if error:
        return await _models(request, error=error)
    return see_other(request, "/admin/models?done=defaults")
