"""/api/users/{id}/limits, /api/keys/{id}/limits (admins), /api/me/limits and
/api/me/keys/{id}/limits (a user's own, read-only): per user and per key limits.

A PUT sets all six at once: a missing or null field is no limit. Spend caps are integer
micro-dollars in answers; in a body, micro-dollars or dollars as text ("5.00")."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fourk.accounts.records import ApiKey, User
from fourk.api.context import SERVICES
from fourk.api.manage.access import caller
from fourk.api.manage.wire import answer, path_int, read_fields
from fourk.errors import InvalidRequest
from fourk.limits.codec import NAMES
from fourk.limits.describe import LimitError, describe_limits, limits_from
from fourk.limits.rules import Limits
from fourk.services.limits_admin import LimitsAdmin


def encode_values(limits: Limits | None) -> dict[str, int | None]:
    """Every limit by name; null for none (spend caps in micro-dollars)."""
    return {name: getattr(limits, name) if limits is not None else None for name in NAMES}


def encode_user_limits(user: User) -> dict[str, Any]:
    return {
        "user_id": user.id,
        "limits": encode_values(user.limits),
        "display": describe_limits(user.limits),
    }


def encode_key_limits(key: ApiKey) -> dict[str, Any]:
    return {
        "key_id": key.id,
        "user_id": key.user_id,
        "name": key.name,
        "prefix": key.prefix,
        "limits": encode_values(key.limits),
        "display": describe_limits(key.limits),
    }


def _admin(request: web.Request) -> LimitsAdmin:
    services = request.app[SERVICES]
    return LimitsAdmin(services.store, services.directory)


async def _read_limits(request: web.Request) -> Limits | None:
    fields = await read_fields(request)
    try:
        return limits_from(fields.raw())
    except LimitError as exc:
        raise InvalidRequest(str(exc), param=exc.name) from None


async def get_user_limits(request: web.Request) -> web.Response:
    user = await _admin(request).user(path_int(request, "user_id"))
    return answer(encode_user_limits(user))


async def put_user_limits(request: web.Request) -> web.Response:
    limits = await _read_limits(request)
    user = await _admin(request).set_user(path_int(request, "user_id"), limits)
    return answer(encode_user_limits(user))


async def get_key_limits(request: web.Request) -> web.Response:
    key = await _admin(request).key(path_int(request, "key_id"))
    return answer(encode_key_limits(key))


async def put_key_limits(request: web.Request) -> web.Response:
    limits = await _read_limits(request)
    key = await _admin(request).set_key(path_int(request, "key_id"), limits)
    return answer(encode_key_limits(key))


async def my_limits(request: web.Request) -> web.Response:
    admin = _admin(request)
    me = await admin.user(caller(request).id)
    keys = await admin.live_keys(me.id)
    return answer({"user": encode_user_limits(me), "keys": [encode_key_limits(k) for k in keys]})


async def my_key_limits(request: web.Request) -> web.Response:
    key = await _admin(request).key(path_int(request, "key_id"), owner_id=caller(request).id)
    return answer(encode_key_limits(key))
