"""Rendering the account page (shared by its forms: profile, password, two-factor)."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from fourk.accounts.records import User
from fourk.accounts.sessions import BrowserSession
from fourk.api.context import SERVICES
from fourk.dashboard.render import render
from fourk.dashboard.session import SESSION, current_user

# what "?done=…" says after a change (a fixed list: the query itself never reaches the page)
DONE = {
    "password": "Your password is changed. Your other sessions were logged out.",
    "name": "Your display name is saved.",
    "sessions": "Your other sessions are logged out.",
    "disabled": "Two-factor sign-in is off.",
    "recovered": "You logged in with a recovery code; it cannot be used again.",
}


def me(request: web.Request) -> User:
    user = current_user(request)
    assert user is not None  # login_required ran
    return user


def session_id(request: web.Request) -> str:
    session: BrowserSession | None = request.get(SESSION)
    assert session is not None  # login_required ran
    return session.id


async def account_response(
    request: web.Request,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    **values: object,
) -> web.Response:
    """The account page, with a form's error in its section (`errors[section]`)."""
    services = request.app[SERVICES]
    user = me(request)
    left = await services.two_factor.codes_left(user) if user.two_factor else 0
    return render(
        request,
        "account/index.html",
        status=status,
        headers=headers,
        me=user,
        sessions=await services.store.sessions.for_user(user.id, datetime.now(UTC)),
        current_session=session_id(request),
        codes_left=left,
        errors=errors or {},
        done=DONE.get(request.query.get("done", "")),
        **values,
    )


async def locked_out(request: web.Request, wait: int) -> web.Response:
    """The account page saying how long to wait (a 429)."""
    return await account_response(
        request, status=429, headers={"Retry-After": str(wait)}, retry_after=wait
    )
