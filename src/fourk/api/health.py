"""GET /healthz for load balancers, and a plain landing page at the root."""

from __future__ import annotations

from aiohttp import web

from fourk.api.context import SERVICES


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def root(request: web.Request) -> web.Response:
    """Browsers go to the dashboard; anything else (curl) gets how to point Codex here."""
    services = request.app[SERVICES]
    if "text/html" in request.headers.get("Accept", ""):
        prefix = services.directory.site.path_prefix(services.settings.base_url)
        raise web.HTTPSeeOther(prefix + "/overview")
    base = services.directory.site.base_url(services.settings.base_url)
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
