"""GET /models and /v1/models: the models this key may use, in the OpenAI list shape."""

from __future__ import annotations

import orjson
from aiohttp import web

from fourk.api.context import SERVICES
from fourk.services.authentication import bearer_token


async def list_models(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await services.authenticator.authenticate(
        bearer_token(request.headers.get("Authorization"), request.headers.get("x-api-key"))
    )
    names = [m for m in services.directory.served_models() if principal.key.allows(m)]
    body = {
        "object": "list",
        "data": [
            {"id": name, "object": "model", "created": 0, "owned_by": "fourk"} for name in names
        ],
    }
    return web.Response(body=orjson.dumps(body), content_type="application/json")
