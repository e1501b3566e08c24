"""The docs stay true: every setting and every route is documented."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from fourk.api.routes import add_routes
from fourk.settings import TABLE

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text()
    missing = [s.env for s in TABLE if f"`{s.env}`" not in text]
    assert not missing, f"undocumented settings: {missing}"


def test_every_route_is_documented() -> None:
    app = web.Application()
    add_routes(app)
    text = (DOCS / "api.md").read_text()
    routes = {
        (r.method, r.resource.canonical)
        for r in app.router.routes()
        if r.method != "HEAD" and r.resource is not None
    }
    missing = [f"{m} {p}" for m, p in sorted(routes) if f"| {m} | `{p}` |" not in text]
    assert not missing, f"undocumented routes: {missing}"
