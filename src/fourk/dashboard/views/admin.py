"""Dashboard area: the operator's pages (users, channels, models, pricing, ledger, codes,
settings). Every route is named "dash:admin-…" and every handler is behind @admin_required."""

from __future__ import annotations

from aiohttp import web

from fourk.dashboard.session import admin_required, see_other
from fourk.dashboard.views import (
    admin_channels,
    admin_codes,
    admin_ledger,
    admin_models,
    admin_pricing,
    admin_settings,
    admin_users,
)


def add_routes(router: web.UrlDispatcher) -> None:
    """Register this area's routes (names start with "dash:")."""
    router.add_get("/admin", admin_home, name="dash:admin")
    areas = (admin_users, admin_channels, admin_models, admin_pricing, admin_ledger, admin_codes)
    for area in (*areas, admin_settings):
        area.add_routes(router)


@admin_required
async def admin_home(request: web.Request) -> web.StreamResponse:
    return see_other(request, "/admin/users")
