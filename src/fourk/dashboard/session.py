"""Who is using the dashboard: the session cookie, CSRF, and page guards.

Dashboard routes are named "dash:…" and the management API's "api:…"; for those, the
middleware loads the browser session (one small read) and refuses any state-changing request
whose CSRF token does not match: the session's own token once logged in, a double-submit
cookie before. Handlers say what they need with `@login_required` or `@admin_required`.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiohttp import web

from fourk.accounts.records import User
from fourk.accounts.sessions import (
    COOKIE,
    LIFETIME,
    PRE_SESSION_COOKIE,
    BrowserSession,
    new_token,
    token_digest,
    tokens_match,
)
from fourk.api.context import SERVICES

SESSION: web.RequestKey[BrowserSession | None] = web.RequestKey("fourk.session")
_PRE_TOKEN = web.RequestKey("fourk.pre_session_token", str)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def prefix_of(request: web.Request) -> str:
    """The path prefix the service lives under (from the operator's public base URL)."""
    services = request.app[SERVICES]
    return services.directory.site.path_prefix(services.settings.base_url)


def is_https(request: web.Request) -> bool:
    services = request.app[SERVICES]
    public = services.directory.site.base_url(services.settings.base_url)
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip()
    return request.secure or forwarded == "https" or public.startswith("https://")


def set_cookie(
    request: web.Request, response: web.StreamResponse, name: str, value: str, max_age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=prefix_of(request) or "/",
        httponly=True,
        samesite="Lax",
        secure=is_https(request),
    )


def pre_session_token(request: web.Request) -> str:
    """The double-submit token of a visitor who is not logged in (set as a cookie by the
    middleware when the page that shows a form is served)."""
    token = request.cookies.get(PRE_SESSION_COOKIE) or request.get(_PRE_TOKEN)
    if not token:
        token = new_token()
        request[_PRE_TOKEN] = token
    return str(token)


def dashboard_middleware() -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        name = request.match_info.route.name or ""
        if not name.startswith(("dash:", "api:")):
            return await handler(request)
        session = await _load_session(request)
        request[SESSION] = session
        if request.method not in SAFE_METHODS and not await _csrf_ok(request, session):
            if name.startswith("api:") and "Authorization" in request.headers:
                return await handler(request)  # token-authenticated: no cookie, no CSRF
            return _forbidden(request)
        response = await handler(request)
        if session is None and request.get(_PRE_TOKEN) and not response.prepared:
            set_cookie(request, response, PRE_SESSION_COOKIE, request[_PRE_TOKEN], 86400)
        return response

    return middleware


async def _load_session(request: web.Request) -> BrowserSession | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    store = request.app[SERVICES].store
    session = await store.sessions.get(token_digest(token))
    now = datetime.now(UTC)
    if session is None or not session.alive(now) or not session.user.is_active:
        return None
    if session.due_for_touch(now):
        await store.sessions.touch(session.id, now)
    return session


async def _csrf_ok(request: web.Request, session: BrowserSession | None) -> bool:
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        form = await request.post()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    expected = session.csrf if session else request.cookies.get(PRE_SESSION_COOKIE)
    return tokens_match(expected, given)


def _forbidden(request: web.Request) -> web.Response:
    if (request.match_info.route.name or "").startswith("api:"):  # the API answers in JSON
        message = "A session call that changes something needs the session's X-CSRF-Token."
        error = {"message": message, "type": "invalid_request_error", "code": "csrf_failed"}
        return web.json_response({"error": {**error, "param": None}}, status=403)
    return web.Response(
        status=403,
        text="This form has expired or did not come from this site. Reload the page and try again.",
        content_type="text/plain",
    )


def current_user(request: web.Request) -> User | None:
    session: BrowserSession | None = request.get(SESSION)
    if session is None or not session.second_factor_done:
        return None
    return session.user


def redirect(request: web.Request, path: str) -> web.HTTPException:
    """A 303 to a dashboard path, to raise (htmx follows HX-Redirect instead)."""
    location = prefix_of(request) + path
    if request.headers.get("HX-Request") == "true":
        return web.HTTPOk(headers={"HX-Redirect": location})
    return web.HTTPSeeOther(location)


def see_other(request: web.Request, path: str) -> web.Response:
    """The same, as a response to return (when cookies must be set on it)."""
    location = prefix_of(request) + path
    if request.headers.get("HX-Request") == "true":
        return web.Response(status=200, headers={"HX-Redirect": location})
    return web.Response(status=303, headers={"Location": location})


def login_required(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        if current_user(request) is None:
            raise redirect(request, _login_path(request))
        return await handler(request)

    return guarded


def admin_required(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        user = current_user(request)
        if user is None:
            raise redirect(request, _login_path(request))
        if not user.is_admin:
            raise web.HTTPForbidden(text="This page is for the operator.")
        return await handler(request)

    return guarded


def _login_path(request: web.Request) -> str:
    session: BrowserSession | None = request.get(SESSION)
    if session is not None and not session.second_factor_done:
        return "/login/second-factor"
    return "/login"


async def start_session(
    request: web.Request, response: web.StreamResponse, user: User, *, second_factor_done: bool
) -> None:
    """Log in: a fresh session (never reuse one from before the login) and its cookie."""
    store = request.app[SERVICES].store
    old = request.cookies.get(COOKIE)
    if old:
        await store.sessions.delete(token_digest(old))
    token = new_token()
    now = datetime.now(UTC)
    await store.sessions.create(
        digest=token_digest(token),
        user_id=user.id,
        csrf=new_token(),
        second_factor_done=second_factor_done,
        now=now,
        expires_at=now + LIFETIME,
        address=request.remote,
        user_agent=request.headers.get("User-Agent"),
    )
    set_cookie(request, response, COOKIE, token, int(LIFETIME.total_seconds()))
    response.del_cookie(PRE_SESSION_COOKIE, path=prefix_of(request) or "/")


async def end_session(request: web.Request, response: web.StreamResponse) -> None:
    token = request.cookies.get(COOKIE)
    if token:
        await request.app[SERVICES].store.sessions.delete(token_digest(token))
    response.del_cookie(COOKIE, path=prefix_of(request) or "/")
