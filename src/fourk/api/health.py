"""GET /healthz for load balancers, and a plain landing page at the root."""

from __future__ import annotations

from aiohttp import web

from fourk.api.context import SERVICES


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def root(request: web.Request) -> web.Response:
    base = request.app[SERVICES].settings.base_url
    text = (
        "fourk is running.\n\n"
        "Point Codex CLI at it in ~/.codex/config.toml:\n\n"
        'model_provider = "OpenAI"\n'
        "[model_providers.OpenAI]\n"
        'name = "OpenAI"\n'
        f'base_url = "{base}"\n'
        'wire_api = "responses"\n'
        "requires_openai_auth = true\n"
    )
    return web.Response(text=text)
