"""The dashboard's side of the login throttle: who the client is, checking what people
type (passwords, codes) through the throttle, and the refusal page."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fourk.accounts.records import User
from fourk.api.context import SERVICES
from fourk.dashboard.render import render
from fourk.services.credentials import Checked, check_code, check_password


def client_address(request: web.Request) -> str | None:
    """The peer's address. X-Forwarded-For is not trusted: anyone can send it, so counting
    by it would let a guesser pick a fresh address for every try. (Behind a reverse proxy
    every client shares the proxy's address and its higher per-address limit.)"""
    return request.remote


async def password_checked(request: web.Request, username: str, password: str) -> Checked:
    services = request.app[SERVICES]
    address = client_address(request)
    return await check_password(services.store, services.throttle, username, password, address)


async def code_checked(request: web.Request, user: User, code: str) -> Checked:
    services = request.app[SERVICES]
    address = client_address(request)
    return await check_code(services.two_factor, services.throttle, user, code, address)


def throttled(request: web.Request, template: str, wait: int, **values: Any) -> web.Response:
    """`template` with the lockout message (`retry_after` seconds), as a 429."""
    return render(
        request,
        template,
        status=429,
        headers={"Retry-After": str(wait)},
        retry_after=wait,
        **values,
    )
