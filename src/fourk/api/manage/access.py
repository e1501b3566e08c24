"""Who is calling the management API, and may they?

Two ways in: `Authorization: Bearer <management token>` (scripts; the owner must be an active
admin), or the dashboard's browser session (the middleware has checked X-CSRF-Token on
state-changing calls). A request that carries an Authorization header is judged by it alone,
never by a cookie that happens to come along.
"""

from __future__ import annotations

from aiohttp import web

from fourk.accounts.records import User
from fourk.api.context import SERVICES
from fourk.dashboard.session import current_user
from fourk.errors import AuthenticationFailed, PermissionDenied
from fourk.services.authentication import bearer_token

ACCESS_LEVELS = ("public", "user", "admin")
CALLER = web.RequestKey("fourk.api_caller", User)


async def admit(request: web.Request, access: str) -> None:
    """Let the request in at `access` or raise 401/403; remembers the caller."""
    if access == "public":
        return
    user = await _token_user(request) if "Authorization" in request.headers else None
    if user is None:
        user = current_user(request)
    if user is None:
        raise AuthenticationFailed(
            "Log in to the dashboard, or send 'Authorization: Bearer <management token>' "
            "(an admin makes one under Operator → Settings).",
            code="unauthenticated",
        )
    if access == "admin" and not user.is_admin:
        raise PermissionDenied("This part of the management API is for admins.")
    request[CALLER] = user


async def _token_user(request: web.Request) -> User:
    services = request.app[SERVICES]
    token = bearer_token(request.headers.get("Authorization"))
    principal = await services.authenticator.authenticate(token, scope="manage")
    if not principal.user.is_admin:
        raise PermissionDenied(
            "This management token's owner is no longer an admin, so it does not work."
        )
    return principal.user


def caller(request: web.Request) -> User:
    """The user admitted for this request (a handler behind "user" or "admin" access)."""
    return request[CALLER]
