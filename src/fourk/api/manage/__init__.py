"""The management API (/api/...): JSON for the dashboard's operations, for admin scripts."""

from __future__ import annotations

from aiohttp import web


def add_manage_routes(app: web.Application) -> None:
    """Register the /api routes (names start with "api:")."""
