"""Every inbound route, in one place."""

from __future__ import annotations

from aiohttp import web

from fourk.api.chat import create_chat_completion
from fourk.api.health import healthz, root
from fourk.api.messages import create_message
from fourk.api.models import list_models
from fourk.api.responses import create_response


def add_routes(app: web.Application) -> None:
    app.router.add_post("/responses", create_response)
    app.router.add_post("/v1/responses", create_response)
    app.router.add_post("/chat/completions", create_chat_completion)
    app.router.add_post("/v1/chat/completions", create_chat_completion)
    app.router.add_post("/v1/messages", create_message)
    app.router.add_get("/models", list_models)
    app.router.add_get("/v1/models", list_models)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/", root)
