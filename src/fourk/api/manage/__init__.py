"""The management API (/api/...): JSON for the dashboard's operations, for admin scripts."""

from __future__ import annotations

import orjson
from aiohttp import web

from fourk.api.manage.openapi import OPENAPI, openapi_document
from fourk.api.manage.routes import ROUTES
from fourk.api.manage.spec import register


def add_manage_routes(app: web.Application) -> None:
    """Register the /api routes (names start with "api:") and their OpenAPI document."""
    register(app, ROUTES)
    app[OPENAPI] = orjson.dumps(openapi_document(ROUTES))
