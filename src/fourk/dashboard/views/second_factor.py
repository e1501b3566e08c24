"""The second step of logging in: a code from the authenticator app, or a recovery code.

After the password, a two-factor user holds a session that is not logged in yet (pages
send it here). The right code replaces that session with a new one, under a new token.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp import web

from fourk.accounts.sessions import BrowserSession
from fourk.api.context import SERVICES
from fourk.dashboard.render import render
from fourk.dashboard.session import SESSION, redirect, see_other, start_session
from fourk.dashboard.throttling import code_checked, throttled
from fourk.services.two_factor import RECOVERY

TEMPLATE = "auth/second_factor.html"
PENDING_LIMIT = timedelta(minutes=10)  # time allowed between the password and the code


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/login/second-factor", second_factor_page, name="dash:second-factor")
    router.add_post("/login/second-factor", second_factor, name="dash:second-factor-post")


async def _pending(request: web.Request) -> BrowserSession:
    """The half-done session, or a redirect: to /login without one (or when it is too old),
    to the overview when it is done."""
    session: BrowserSession | None = request.get(SESSION)
    if session is None:
        raise redirect(request, "/login")
    if session.second_factor_done:
        raise redirect(request, "/overview")
    if datetime.now(UTC) - session.created_at > PENDING_LIMIT:
        await request.app[SERVICES].store.sessions.delete(session.id)
        raise redirect(request, "/login")
    return session


async def second_factor_page(request: web.Request) -> web.StreamResponse:
    session = await _pending(request)
    return render(request, TEMPLATE, error=None, who=session.user.username)


async def second_factor(request: web.Request) -> web.StreamResponse:
    session = await _pending(request)
    services = request.app[SERVICES]
    user = session.user
    form = await request.post()
    checked = await code_checked(request, user, str(form.get("code", "")))
    if checked.wait:
        return throttled(request, TEMPLATE, checked.wait, error=None, who=user.username)
    if not checked.ok:
        problem = "That code did not work. Type the current code from your app, or a recovery code."
        return render(request, TEMPLATE, status=400, error=problem, who=user.username)
    target = "/account?done=recovered" if checked.method == RECOVERY else "/overview"
    response = see_other(request, target)
    await start_session(request, response, user, second_factor_done=True)
    await services.store.users.note_login(user.id, datetime.now(UTC))
    return response
