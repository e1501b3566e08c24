"""Rendering pages and their fragments: one Jinja2 environment, one context per request.

A page and its fragments live in one template (named blocks). An htmx request for a part of
a page gets only that block (`render(..., block="rows")`); a normal request gets the page.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from fourk.api.context import SERVICES
from fourk.billing.pricing import format_dollars
from fourk.dashboard.i18n import COOKIE as LANGUAGE_COOKIE
from fourk.dashboard.i18n import LANGUAGES, Catalogs, pick_language
from fourk.dashboard.session import SESSION, pre_session_token, prefix_of
from fourk.limits.describe import limit_inputs, limit_phrases

STATIC_VERSION = "1"


class Pages:
    def __init__(self) -> None:
        self.env = Environment(
            loader=PackageLoader("fourk.dashboard", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["dollars"] = format_dollars  # micro-dollars → "$1.25"
        self.env.filters["limit_phrases"] = limit_phrases  # Limits → [("{n} rpm", {...})]
        self.env.filters["limit_inputs"] = limit_inputs  # Limits → form field texts
        self.catalogs = Catalogs()

    def context(self, request: web.Request, **values: Any) -> dict[str, Any]:
        services = request.app[SERVICES]
        site = services.directory.site
        session = request.get(SESSION)
        language = pick_language(
            request.cookies.get(LANGUAGE_COOKIE),
            request.headers.get("Accept-Language"),
            site.initial_language,
        )
        prefix = prefix_of(request)
        return {
            "t": self.catalogs.translator(language),
            "lang": language,
            "languages": LANGUAGES,
            "url": lambda path="/": prefix + path,
            "static": lambda name: f"{prefix}/static/{name}",
            "site": site,
            "base_url": site.base_url(services.settings.base_url),
            # half-way through logging in (second factor to go) is not logged in
            "user": session.user if session and session.second_factor_done else None,
            "csrf_token": session.csrf if session else pre_session_token(request),
            "path": request.path,
            "htmx": request.headers.get("HX-Request") == "true",
            **values,
        }

    def render(
        self,
        request: web.Request,
        template: str,
        *,
        block: str | None = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
        **values: Any,
    ) -> web.Response:
        compiled = self.env.get_template(template)
        context = self.context(request, **values)
        if block is None:
            html = compiled.render(context)
        else:
            html = "".join(compiled.blocks[block](compiled.new_context(context)))
        return web.Response(
            text=html, status=status, content_type="text/html", charset="utf-8", headers=headers
        )


PAGES = web.AppKey("pages", Pages)


def render(request: web.Request, template: str, **kwargs: Any) -> web.Response:
    """Render with the app's Pages (the shortcut every view uses)."""
    return request.app[PAGES].render(request, template, **kwargs)
