"""An in-process fourk (aiohttp test server) with a browser-like client: cookies kept,
CSRF tokens read from the pages, forms posted the way a browser posts them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from fourk.app import create_app
from fourk.services import bootstrap
from fourk.services.site import SiteConfig
from fourk.services.store_bundle import open_store
from fourk.settings import Settings
from fourk.sim.options import DEFAULT_MODELS
from tests.support.processes import free_port

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """Cookies and CSRF like a browser; `base` is the server root."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            headers={"Accept": "text/html"},
        )
        self.csrf = ""

    async def get(self, path: str, **kwargs: object) -> tuple[int, str]:
        async with self.session.get(self.base + path, **kwargs) as response:  # type: ignore[arg-type]
            text = await response.text()
        found = _CSRF.search(text)
        if found:
            self.csrf = found.group(1)
        return response.status, text

    async def post(
        self, path: str, form: Mapping[str, str | list[str]] | None = None, *, csrf: bool = True
    ) -> aiohttp.ClientResponse:
        fields: list[tuple[str, str]] = []
        for name, value in (form or {}).items():
            values = value if isinstance(value, list) else [value]
            fields += [(name, v) for v in values]
        if csrf:
            fields.append(("csrf_token", self.csrf))
        async with self.session.post(
            self.base + path, data=fields, allow_redirects=False
        ) as response:
            await response.read()
        return response

    async def sign_up(self, username: str, password: str = "correct horse battery") -> None:
        await self.get("/signup")
        response = await self.post("/signup", {"username": username, "password": password})
        assert response.status == 303, response.status
        await self.get("/keys")

    async def log_in(self, username: str, password: str) -> aiohttp.ClientResponse:
        await self.get("/login")
        response = await self.post("/login", {"username": username, "password": password})
        await self.get("/keys")
        return response

    async def close(self) -> None:
        await self.session.close()


@asynccontextmanager
async def dashboard(
    tmp: Path, site: SiteConfig | None = None, env: Mapping[str, str] | None = None
) -> AsyncIterator[tuple[web.Application, str, str]]:
    """A migrated data dir with the demo simulator channel; yields (app, root URL, admin
    password)."""
    port = free_port()
    settings = Settings.load(env=dict(env or {}), data_dir=tmp / "data", port=port)
    async with open_store(settings, create=True) as store:
        password = await bootstrap.ensure_admin(store)
        await bootstrap.ensure_demo(store, DEFAULT_MODELS)
    app = create_app(settings, site or SiteConfig(signup_mode="open"))
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    try:
        yield app, str(server.make_url("")).rstrip("/"), password or ""
    finally:
        await server.close()


@asynccontextmanager
async def prefix_proxy(prefix: str, upstream: str) -> AsyncIterator[str]:
    """A reverse proxy that serves `upstream` under `prefix` and strips the prefix on the
    way in, as nginx's `location /p/ { proxy_pass http://up/; }` does. Yields its root URL
    (with the prefix)."""

    async def forward(request: web.Request) -> web.StreamResponse:
        path = request.path_qs[len(prefix) :] or "/"
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        async with (
            aiohttp.ClientSession(auto_decompress=False) as client,
            client.request(
                request.method,
                upstream + path,
                headers=headers,
                data=await request.read(),
                allow_redirects=False,
            ) as answer,
        ):
            body = await answer.read()
            out = web.Response(status=answer.status, body=body)
            for name, value in answer.headers.items():
                if name.lower() not in ("content-length", "transfer-encoding", "date", "server"):
                    out.headers.add(name, value)
            return out

    app = web.Application()
    app.router.add_route("*", prefix + "{tail:.*}", forward)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url(prefix))
    finally:
        await server.close()
