"""Dashboard area: admin (to be built)."""

from __future__ import annotations

from aiohttp import web


def add_routes(router: web.UrlDispatcher) -> None:
    """Register this area's routes (names start with "dash:")."""
