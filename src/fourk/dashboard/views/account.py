"""The account page: display name, password, two-factor status and the user's sessions."""

from __future__ import annotations

from aiohttp import web

from fourk.api.context import SERVICES
from fourk.dashboard.session import login_required, see_other, start_session
from fourk.dashboard.throttling import password_checked
from fourk.dashboard.views import second_factor, two_factor
from fourk.dashboard.views.account_page import account_response, locked_out, me, session_id
from fourk.services.accounts import password_problem
from fourk.services.credentials import change_password

MAX_DISPLAY_NAME = 128


def add_routes(router: web.UrlDispatcher) -> None:
    """Register this area's routes (names start with "dash:")."""
    router.add_get("/account", account_page, name="dash:account")
    router.add_post("/account/name", set_name_action, name="dash:account-name")
    router.add_post("/account/password", change_password_action, name="dash:account-password")
    router.add_post(
        "/account/sessions/end-others", end_other_sessions_action, name="dash:account-sessions"
    )
    two_factor.add_routes(router)
    second_factor.add_routes(router)


@login_required
async def account_page(request: web.Request) -> web.StreamResponse:
    return await account_response(request)


@login_required
async def set_name_action(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    name = str(form.get("display_name", "")).strip()
    if len(name) > MAX_DISPLAY_NAME or any(not c.isprintable() for c in name):
        problem = "A display name has at most 128 characters and no control characters."
        return await account_response(request, status=400, errors={"name": problem})
    await request.app[SERVICES].store.users.set_display_name(me(request).id, name or None)
    return see_other(request, "/account?done=name")


@login_required
async def change_password_action(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    user = me(request)
    form = await request.post()
    new = str(form.get("new_password", ""))
    problem = password_problem(new)
    if not problem and new != str(form.get("new_password_again", "")):
        problem = "The two new passwords are not the same."
    if problem:
        return await account_response(request, status=400, errors={"password": problem})
    current = str(form.get("current_password", ""))
    checked = await password_checked(request, user.username, current)
    if checked.wait:
        return await locked_out(request, checked.wait)
    if not checked.ok:
        problem = "Your current password is not right."
        return await account_response(request, status=400, errors={"password": problem})
    await change_password(services.store, user, new, keep=session_id(request))
    response = see_other(request, "/account?done=password")
    await start_session(request, response, user, second_factor_done=True)  # a new token too
    return response


@login_required
async def end_other_sessions_action(request: web.Request) -> web.StreamResponse:
    store = request.app[SERVICES].store
    await store.sessions.delete_for_user(me(request).id, keep=session_id(request))
    return see_other(request, "/account?done=sessions")
