"""Operator → Settings: site name, public base URL, sign-up mode, first language, new
accounts' credit; invite codes; management tokens for scripts (each shown once)."""

from __future__ import annotations

from aiohttp import web

from fourk.api.context import SERVICES
from fourk.dashboard.render import render
from fourk.dashboard.session import admin_required, current_user, see_other
from fourk.dashboard.views.admin_form import attempt, page_status, read_form
from fourk.errors import FourkError
from fourk.services.accounts import NewKey
from fourk.services.invite_codes import create_invite
from fourk.services.manage_tokens import all_tokens, create_token, revoke_token
from fourk.services.site import SIGNUP_MODES
from fourk.services.site_admin import change_site

SITE_FIELDS = ("site_name", "public_base_url", "signup_mode", "initial_language", "initial_credit")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/settings", settings_page, name="dash:admin-settings")
    router.add_post("/admin/settings", site_action, name="dash:admin-settings-save")
    router.add_post("/admin/invites", invite_action, name="dash:admin-invites-create")
    router.add_post("/admin/tokens", token_action, name="dash:admin-tokens-create")
    router.add_post(
        "/admin/tokens/{token_id:\\d+}/revoke", revoke_action, name="dash:admin-tokens-revoke"
    )


async def _settings(
    request: web.Request,
    *,
    error: FourkError | None = None,
    token: NewKey | None = None,
    new_invite: str | None = None,
) -> web.Response:
    services = request.app[SERVICES]
    users = {u.id: u.username for u in await services.store.users.all()}
    return render(
        request,
        "admin/settings.html",
        status=page_status(request, error),
        fallback_base_url=services.settings.base_url,
        signup_modes=SIGNUP_MODES,
        invites=await services.store.invites.all(),
        tokens=await all_tokens(services.store),
        owners=users,
        token=token,
        new_invite=new_invite,
        error=error.message if error else None,
        done=request.query.get("done"),
    )


@admin_required
async def settings_page(request: web.Request) -> web.StreamResponse:
    return await _settings(request)


@admin_required
async def site_action(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    form = await read_form(request)
    changes = {name: form.text(name) for name in SITE_FIELDS}
    _, error = await attempt(change_site(services.store, services.directory, changes))
    if error:
        return await _settings(request, error=error)
    return see_other(request, "/admin/settings?done=site")


@admin_required
async def invite_action(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    user = current_user(request)
    assert user is not None

    async def create() -> str:
        uses = form.integer("max_uses", 1)
        invite = await create_invite(
            request.app[SERVICES].store,
            user,
            1 if uses is None else uses,
            form.integer("expires_in_days"),
        )
        return invite.code

    code, error = await attempt(create())
    return await _settings(request, error=error, new_invite=code)


@admin_required
async def token_action(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    form = await read_form(request)
    user = current_user(request)
    assert user is not None

    async def create() -> NewKey:
        days = form.integer("expires_in_days")
        return await create_token(services.store, services.directory, user, form.text("name"), days)

    token, error = await attempt(create())
    return await _settings(request, error=error, token=token)


@admin_required
async def revoke_action(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    token_id = int(request.match_info["token_id"])
    _, error = await attempt(revoke_token(services.store, services.directory, token_id))
    if error:
        return await _settings(request, error=error)
    return see_other(request, "/admin/settings?done=revoked#tokens")
