"""Logging in and out, signing up, and the language switch."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from fourk.api.context import SERVICES
from fourk.dashboard.i18n import COOKIE as LANGUAGE_COOKIE
from fourk.dashboard.i18n import LANGUAGES
from fourk.dashboard.render import render
from fourk.dashboard.session import (
    current_user,
    end_session,
    redirect,
    see_other,
    set_cookie,
    start_session,
)
from fourk.dashboard.throttling import password_checked, throttled
from fourk.services.accounts import create_user, password_problem, username_problem
from fourk.store.users import InviteRefused, UsernameTaken


async def root(request: web.Request) -> web.StreamResponse:
    raise redirect(request, "/overview" if current_user(request) else "/login")


async def login_page(request: web.Request) -> web.StreamResponse:
    if current_user(request):
        raise redirect(request, "/overview")
    return render(request, "auth/login.html", error=None, username="")


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    store = request.app[SERVICES].store
    checked = await password_checked(request, username, password)
    if checked.wait:
        return throttled(request, "auth/login.html", checked.wait, error=None, username=username)
    if checked.user is None:
        return _login_refused(request, username, "Wrong username or password.")
    user = checked.user
    if not user.is_active:
        return _login_refused(request, username, "This account is disabled. Ask the operator.")
    response = see_other(request, "/login/second-factor" if user.two_factor else "/overview")
    await start_session(request, response, user, second_factor_done=not user.two_factor)
    if not user.two_factor:
        await store.users.note_login(user.id, datetime.now(UTC))
    return response


def _login_refused(request: web.Request, username: str, error: str) -> web.Response:
    return render(request, "auth/login.html", status=400, error=error, username=username)


async def logout(request: web.Request) -> web.StreamResponse:
    response = see_other(request, "/login")
    await end_session(request, response)
    return response


async def signup_page(request: web.Request) -> web.StreamResponse:
    mode = request.app[SERVICES].directory.site.signup_mode
    return render(request, "auth/signup.html", mode=mode, error=None, username="", invite="")


async def signup(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    mode = services.directory.site.signup_mode
    form = await request.post()
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    invite = str(form.get("invite", "")).strip()

    def refuse(error: str) -> web.Response:
        return render(
            request,
            "auth/signup.html",
            status=400,
            mode=mode,
            error=error,
            username=username,
            invite=invite,
        )

    if mode == "closed":
        return refuse("Sign-up is closed. Ask the operator for an account.")
    problem = username_problem(username) or password_problem(password)
    if problem:
        return refuse(problem)
    if mode == "invite" and not invite:
        return refuse("Sign-up needs an invite code from the operator.")
    try:
        user, _ = await create_user(
            services.store,
            username,
            password=password,
            invite=invite if mode == "invite" else None,
            initial_credit=services.directory.site.initial_credit,
        )
    except UsernameTaken:
        return refuse("That username is taken. Pick another one.")
    except InviteRefused as exc:
        return refuse(str(exc))
    if services.biller is not None:
        await services.biller.refresh()  # the sign-up credit is spendable at once
    await services.directory.reload()
    response = see_other(request, "/keys?welcome=1")
    await start_session(request, response, user, second_factor_done=True)
    return response


async def set_language(request: web.Request) -> web.StreamResponse:
    language = request.match_info["lang"]
    if language not in LANGUAGES:
        raise web.HTTPNotFound()
    back = request.query.get("next", "/")
    if not back.startswith("/") or back.startswith("//") or "\\" in back:
        back = "/"
    response = see_other(request, back)
    set_cookie(request, response, LANGUAGE_COOKIE, language, 365 * 86400)
    return response
