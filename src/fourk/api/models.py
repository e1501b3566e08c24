"""GET /models and /v1/models: the models this key may use, in the OpenAI list shape, or in
Anthropic's when the request carries Anthropic headers (the anthropic SDK's models.list)."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from fourk.api.context import SERVICES
from fourk.services.authentication import bearer_token

ANTHROPIC_CREATED_AT = "2025-01-01T00:00:00Z"  # fourk has no release date per model


async def list_models(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await services.authenticator.authenticate(
        bearer_token(request.headers.get("Authorization"), request.headers.get("x-api-key"))
    )
    names = [m for m in services.directory.served_models() if principal.key.allows(m)]
    if "anthropic-version" in request.headers:
        body = anthropic_list(names)
    else:
        body = {
            "object": "list",
            "data": [
                {"id": name, "object": "model", "created": 0, "owned_by": "fourk"} for name in names
            ],
        }
    return web.Response(body=orjson.dumps(body), content_type="application/json")


def anthropic_list(names: list[str]) -> dict[str, Any]:
    data = [
        {"type": "model", "id": name, "display_name": name, "created_at": ANTHROPIC_CREATED_AT}
        for name in names
    ]
    return {
        "data": data,
        "has_more": False,
        "first_id": names[0] if names else None,
        "last_id": names[-1] if names else None,
    }
