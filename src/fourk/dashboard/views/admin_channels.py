"""Operator → Channels: list with health, add, edit, enable or disable, delete, and the Test
button. The upstream secret is write-only: a field replaces it; no page shows it."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from fourk.api.context import SERVICES
from fourk.dashboard.render import render
from fourk.dashboard.session import admin_required, see_other
from fourk.dashboard.views.admin_form import FormValues, attempt, page_status, read_form
from fourk.errors import FourkError
from fourk.providers.registry import DESCRIPTIONS, KINDS
from fourk.services.channel_admin import (
    GENERAL_OPTIONS,
    PROTOCOL_OPTIONS,
    ChannelAdmin,
    ChannelPatch,
    decode_options,
    protocol_options,
)
from fourk.services.channel_probe import PROBE_TIMEOUT, ProbeResult

_ID = "{channel_id:\\d+}"


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/channels", channels_page, name="dash:admin-channels")
    router.add_post("/admin/channels", create_action, name="dash:admin-channels-create")
    router.add_get(f"/admin/channels/{_ID}", channel_page, name="dash:admin-channel")
    router.add_post(f"/admin/channels/{_ID}", edit_action, name="dash:admin-channel-edit")
    router.add_post(
        f"/admin/channels/{_ID}/enabled", enabled_action, name="dash:admin-channel-enabled"
    )
    router.add_post(
        f"/admin/channels/{_ID}/delete", delete_action, name="dash:admin-channel-delete"
    )
    router.add_post(f"/admin/channels/{_ID}/test", test_action, name="dash:admin-channel-test")


def _admin(request: web.Request) -> ChannelAdmin:
    services = request.app[SERVICES]
    return ChannelAdmin(services.store, services.directory)


def _channel_id(request: web.Request) -> int:
    return int(request.match_info["channel_id"])


def patch_from_form(form: FormValues, *, creating: bool) -> ChannelPatch:
    """Every field of the add or edit form (the secret only when one was typed)."""
    options = decode_options(
        {
            **_protocol_json(form),
            "model_map": form.pairs("model_map"),
            "forward_headers": form.items("forward_headers"),
            "strip_codex_extras": form.flag("strip_codex_extras"),
        },
        form.text("kind"),
    )
    return ChannelPatch(
        name=form.text("name"),
        kind=form.text("kind"),
        base_url=form.text("base_url"),
        models=form.items("models"),
        priority=form.integer("priority", 0),
        weight=form.integer("weight", 1),
        options=options,
        api_key=form.optional("api_key"),
        clear_api_key=not creating and form.flag("clear_api_key"),
    )


def _protocol_json(form: FormValues) -> dict[str, Any]:
    """The Protocol options box: a JSON object of the kind's own options, or nothing."""
    text = form.text("protocol_options")
    try:
        value = orjson.loads(text) if text else {}
    except orjson.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise ValueError("Protocol options must be a JSON object, or empty.")
    general = [name for name in GENERAL_OPTIONS if name in value]
    if general:
        raise ValueError(f"Set {', '.join(general)} in its own field, not in Protocol options.")
    return value


def _fields_context(protocol_text: str) -> dict[str, Any]:
    """What the add and edit forms need besides the channel's values."""
    return {
        "kinds": KINDS,
        "descriptions": DESCRIPTIONS,
        "protocol_keys": PROTOCOL_OPTIONS,
        "protocol_text": protocol_text,
    }


def _pretty(options: dict[str, Any]) -> str:
    """A channel's protocol options as the Protocol options box shows them."""
    protocol = protocol_options(options)
    return orjson.dumps(protocol, option=orjson.OPT_INDENT_2).decode() if protocol else ""


async def _channels(
    request: web.Request,
    *,
    error: FourkError | None = None,
    draft: dict[str, Any] | None = None,
    probes: dict[int, ProbeResult] | None = None,
) -> web.Response:
    views = await _admin(request).views(request.app[SERVICES].health)
    return render(
        request,
        "admin/channels.html",
        status=page_status(request, error),
        channels=views,
        probes=probes or {},
        draft=draft or {},
        error=error.message if error else None,
        **_fields_context((draft or {}).get("protocol_options", "")),
    )


@admin_required
async def channels_page(request: web.Request) -> web.StreamResponse:
    return await _channels(request)


@admin_required
async def create_action(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)

    async def create() -> int:
        return (await _admin(request).create(patch_from_form(form, creating=True))).id

    created, error = await attempt(create())
    if error:
        draft: dict[str, Any] = {k: form.text(k) for k in _DRAFT_FIELDS}
        draft["strip_codex_extras"] = form.flag("strip_codex_extras")
        return await _channels(request, error=error, draft=draft)
    return see_other(request, f"/admin/channels#channel-{created}")


_DRAFT_FIELDS = (
    "name",
    "kind",
    "base_url",
    "models",
    "priority",
    "weight",
    "model_map",
    "forward_headers",
    "protocol_options",
)


async def _channel(
    request: web.Request, *, error: FourkError | None = None, protocol_text: str | None = None
) -> web.Response:
    """The edit page; `protocol_text` is what was typed in the Protocol options box (after
    a failed save), else the stored options show."""
    views, missing = await attempt(
        _admin(request).views(request.app[SERVICES].health, only=_channel_id(request))
    )
    if missing or not views:
        raise web.HTTPNotFound(text=missing.message if missing else "no such channel")
    return render(
        request,
        "admin/channel.html",
        status=page_status(request, error),
        channel=views[0],
        error=error.message if error else None,
        done=request.query.get("done"),
        **_fields_context(_pretty(views[0]["options"]) if protocol_text is None else protocol_text),
    )


@admin_required
async def channel_page(request: web.Request) -> web.StreamResponse:
    return await _channel(request)


@admin_required
async def edit_action(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)

    async def edit() -> None:
        await _admin(request).change(_channel_id(request), patch_from_form(form, creating=False))

    _, error = await attempt(edit())
    if error:
        return await _channel(request, error=error, protocol_text=form.text("protocol_options"))
    return see_other(request, f"/admin/channels/{_channel_id(request)}?done=saved")


@admin_required
async def enabled_action(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    patch = ChannelPatch(enabled=form.flag("enabled"))
    _, error = await attempt(_admin(request).change(_channel_id(request), patch))
    if error:
        return await _channels(request, error=error)
    return see_other(request, f"/admin/channels#channel-{_channel_id(request)}")


@admin_required
async def delete_action(request: web.Request) -> web.StreamResponse:
    _, error = await attempt(_admin(request).delete(_channel_id(request)))
    if error:
        return await _channels(request, error=error)
    return see_other(request, "/admin/channels")


@admin_required
async def test_action(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    form = await read_form(request)
    channel_id = _channel_id(request)
    within = min(services.settings.total_timeout, PROBE_TIMEOUT)
    result, error = await attempt(
        _admin(request).probe(channel_id, form.optional("model"), services.providers, within)
    )
    if request.headers.get("HX-Request") == "true":
        return render(
            request,
            "admin/channels.html",
            block="probe",
            probe=result,
            probe_error=error.message if error else None,
        )
    if error or result is None:
        return await _channels(request, error=error)
    return await _channels(request, probes={channel_id: result})
