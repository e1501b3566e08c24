"""Every inbound route, in one place."""

from __future__ import annotations

from aiohttp import web

from fourk.api.health import healthz, root
from fourk.api.models import list_models
from fourk.api.responses import create_response


def add_routes(app: web.Application) -> None:
    app.router.add_post("/responses", create_response)
    app.router.add_post("/v1/responses", create_response)
    app.router.add_get("/models", list_models)
    app.router.add_get("/v1/models", list_models)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/", root)
