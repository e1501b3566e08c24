"""The JSON of the management API: reading request bodies, writing answers and records."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from fourk.accounts.records import ApiKey, User
from fourk.api.manage.fields import Fields
from fourk.errors import InvalidRequest
from fourk.store.invites import Invite


async def read_fields(request: web.Request) -> Fields:
    raw = await request.read()
    if not raw.strip():
        return Fields({})
    try:
        return Fields(orjson.loads(raw))
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"The request body is not valid JSON ({exc}).") from exc


def answer(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        body=orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS),
        content_type="application/json",
    )


def path_int(request: web.Request, name: str) -> int:
    """An id from the path (the route's pattern lets only digits through)."""
    return int(request.match_info[name])


def encode_user(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "status": user.status,
        "two_factor": user.two_factor,
        "last_login_at": user.last_login_at,
        "created_at": user.created_at,
    }


def encode_key(key: ApiKey) -> dict[str, Any]:
    """A key without its secret (only its display prefix)."""
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "scope": key.scope,
        "user_id": key.user_id,
        "models": list(key.models) if key.models is not None else None,
        "expires_at": key.expires_at,
        "revoked_at": key.revoked_at,
        "created_at": key.created_at,
    }


def encode_invite(invite: Invite) -> dict[str, Any]:
    return {
        "id": invite.id,
        "code": invite.code,
        "max_uses": invite.max_uses,
        "uses": invite.uses,
        "expires_at": invite.expires_at,
        "created_at": invite.created_at,
    }
