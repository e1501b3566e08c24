"""/api/users: the operator's view of users (list, search, get, change, reset password)."""

from __future__ import annotations

from aiohttp import web

from fourk.api.context import SERVICES
from fourk.api.manage.wire import answer, encode_user, path_int, read_fields
from fourk.errors import InvalidRequest
from fourk.services.user_admin import UserAdmin, UserPatch

MAX_PAGE = 200


def _admin(request: web.Request) -> UserAdmin:
    services = request.app[SERVICES]
    return UserAdmin(services.store, services.directory)


def _query_int(request: web.Request, name: str, default: int, top: int) -> int:
    raw = request.query.get(name, str(default))
    if not raw.isdigit() or int(raw) > top:
        raise InvalidRequest(f"'{name}' must be a whole number from 0 to {top}.", param=name)
    return int(raw)


async def list_users(request: web.Request) -> web.Response:
    limit = _query_int(request, "limit", 50, MAX_PAGE)
    offset = _query_int(request, "offset", 0, 10**9)
    found = await _admin(request).search(request.query.get("q", ""), limit, offset)
    return answer({"data": [encode_user(u) for u in found]})


async def create_user(request: web.Request) -> web.Response:
    fields = (await read_fields(request)).only(("username", "role", "password"))
    user, password = await _admin(request).create(
        fields.text("username", required=True) or "",
        fields.text("role") or "user",
        fields.text("password"),
    )
    return answer({"user": encode_user(user), "password": password}, status=201)


async def get_user(request: web.Request) -> web.Response:
    return answer(encode_user(await _admin(request).get(path_int(request, "user_id"))))


async def patch_user(request: web.Request) -> web.Response:
    fields = (await read_fields(request)).only(("role", "status", "display_name"))
    display_name = fields.text("display_name")
    patch = UserPatch(
        role=fields.text("role"),
        status=fields.text("status"),
        display_name="" if fields.has("display_name") and display_name is None else display_name,
    )
    user = await _admin(request).change(path_int(request, "user_id"), patch)
    return answer(encode_user(user))


async def reset_password(request: web.Request) -> web.Response:
    user, password = await _admin(request).reset_password(path_int(request, "user_id"))
    return answer({"user": encode_user(user), "password": password})
