"""The user's overview: requests, tokens and spend per day, and the last requests."""

from __future__ import annotations

from aiohttp import web

from fourk.dashboard.render import render
from fourk.dashboard.session import login_required


@login_required
async def overview_page(request: web.Request) -> web.StreamResponse:
    return render(request, "overview/index.html")
