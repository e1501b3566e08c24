"""Every dashboard route, in one place. Names start with "dash:" (the session middleware
guards those; see session.py)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from fourk.api.manage import add_manage_routes
from fourk.dashboard.render import PAGES, Pages
from fourk.dashboard.views import account, admin, auth, billing, keys, logs, overview

STATIC = Path(__file__).parent / "static"


def add_dashboard_routes(app: web.Application) -> None:
    app[PAGES] = Pages()
    r = app.router
    r.add_get("/login", auth.login_page, name="dash:login")
    r.add_post("/login", auth.login, name="dash:login-post")
    r.add_post("/logout", auth.logout, name="dash:logout")
    r.add_get("/signup", auth.signup_page, name="dash:signup")
    r.add_post("/signup", auth.signup, name="dash:signup-post")
    r.add_get("/lang/{lang}", auth.set_language, name="dash:lang")
    r.add_get("/overview", overview.overview_page, name="dash:overview")
    r.add_get("/keys", keys.keys_page, name="dash:keys")
    r.add_post("/keys", keys.create_key_action, name="dash:keys-create")
    r.add_post("/keys/{key_id}/revoke", keys.revoke_key_action, name="dash:keys-revoke")
    r.add_get("/keys/{key_id}/use", keys.use_key_dialog, name="dash:keys-use")
    admin.add_routes(r)
    logs.add_routes(r)
    billing.add_routes(r)
    account.add_routes(r)
    add_manage_routes(app)
    r.add_static("/static", STATIC, name="static", append_version=False)
