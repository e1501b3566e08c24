"""Security of the dashboard and the management API, against a real `fourk serve`.

The TABLE names every dashboard ("dash:") and management API ("api:") route with who may
use it; a route added without a row fails `test_every_route_has_a_row`. Over that table:
logged out you get the login page (or a 401 from /api), a form without the right CSRF token
is refused, and user A cannot see, use or revoke anything of user B's. Then: cookie flags,
session tokens that change at login and die at logout, the login throttle, two-factor login
end to end, HTML escaping of names everywhere, and argon2id password hashes.
"""

from __future__ import annotations

import asyncio
import html
import re
import sqlite3
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDict
from yarl import URL

from fourk.accounts import totp
from fourk.accounts.sessions import COOKIE, PRE_SESSION_COOKIE
from fourk.app import create_app
from fourk.settings import Settings
from tests.support.browser_session import BrowserSession, Reply
from tests.support.processes import Proc, start_fourk

PUBLIC = "public"  # anyone (the login and sign-up forms, the language switch)
PENDING = "pending"  # the second login step: a session that passed the password
USER = "user"  # any logged-in user, on their own things
ADMIN = "admin"  # the operator

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Row:
    access: str
    form: Mapping[str, str] = field(default_factory=dict)  # a body that gets past parsing
    query: str = ""  # appended to the path, with {placeholders} like the path's
    ends_session: bool = False


TABLE: dict[str, Row] = {
    # logging in, signing up, the language
    "dash:login": Row(PUBLIC),
    "dash:login-post": Row(PUBLIC),
    "dash:logout": Row(PUBLIC, ends_session=True),
    "dash:signup": Row(PUBLIC),
    "dash:signup-post": Row(PUBLIC),
    "dash:lang": Row(PUBLIC, query="?next=/keys"),
    "dash:second-factor": Row(PENDING),
    "dash:second-factor-post": Row(PENDING, {"code": "123456"}),
    # a user's own pages
    "dash:overview": Row(USER),
    "dash:keys": Row(USER, query="?use={key_id}"),
    "dash:keys-create": Row(USER, {"name": "made by the table"}),
    "dash:keys-revoke": Row(USER),
    "dash:keys-use": Row(USER),
    "dash:logs": Row(USER, query="?key={key_id}"),
    "dash:log-detail": Row(USER),
    "dash:account": Row(USER),
    "dash:account-name": Row(USER, {"display_name": "table"}),
    "dash:account-password": Row(USER, {"current_password": "x", "new_password": "short"}),
    "dash:account-sessions": Row(USER),
    "dash:two-factor": Row(USER),
    "dash:two-factor-confirm": Row(USER, {"enrollment": "v1.nope", "code": "123456"}),
    "dash:two-factor-disable": Row(USER, {"password": "x", "code": "123456"}),
    "dash:two-factor-codes": Row(USER, {"password": "x"}),
    "dash:billing": Row(USER, query="?before=999999"),
    "dash:billing-redeem": Row(USER, {"code": "0000-0000-0000-0000-0000"}),
    # the operator's pages
    "dash:admin": Row(ADMIN),
    "dash:admin-users": Row(ADMIN),
    "dash:admin-user": Row(ADMIN),
    "dash:admin-user-status": Row(ADMIN, {"status": "disabled"}),
    "dash:admin-user-role": Row(ADMIN, {"role": "admin"}),
    "dash:admin-user-name": Row(ADMIN, {"display_name": "renamed"}),
    "dash:admin-user-password": Row(ADMIN),
    "dash:admin-user-balance": Row(ADMIN, {"kind": "topup", "amount": "1", "reason": "table"}),
    "dash:admin-user-multiplier": Row(ADMIN, {"percent": "50"}),
    "dash:admin-user-limits": Row(ADMIN, {"rpm": "60", "spend_day": "5"}),
    "dash:admin-user-key-limits": Row(ADMIN, {"rpm": "60", "spend_day": "5"}),
    "dash:admin-channels": Row(ADMIN),
    "dash:admin-channels-create": Row(ADMIN, {"name": "x"}),
    "dash:admin-channel": Row(ADMIN),
    "dash:admin-channel-edit": Row(ADMIN, {"name": "x"}),
    "dash:admin-channel-enabled": Row(ADMIN, {"enabled": "0"}),
    "dash:admin-channel-delete": Row(ADMIN),
    "dash:admin-channel-test": Row(ADMIN),
    "dash:admin-models": Row(ADMIN),
    "dash:admin-models-create": Row(ADMIN, {"name": "x"}),
    "dash:admin-models-save": Row(ADMIN, {"name": "x"}),
    "dash:admin-models-delete": Row(ADMIN, {"name": "x"}),
    "dash:admin-models-defaults": Row(ADMIN, {"default_model": "x"}),
    "dash:admin-pricing": Row(ADMIN, query="?model={name}"),
    "dash:admin-pricing-save": Row(ADMIN, {"model": "x", "input": "1", "output": "2"}),
    "dash:admin-pricing-reset": Row(ADMIN, {"model": "sim-model"}),
    "dash:admin-ledger": Row(ADMIN, query="?user=alice"),
    "dash:admin-codes": Row(ADMIN, query="?batch=x"),
    "dash:admin-codes-create": Row(ADMIN, {"count": "1", "value": "1", "batch": "table"}),
    "dash:admin-settings": Row(ADMIN),
    "dash:admin-settings-save": Row(ADMIN, {"site_name": "x"}),
    "dash:admin-invites-create": Row(ADMIN),
    "dash:admin-tokens-create": Row(ADMIN, {"name": "x"}),
    "dash:admin-tokens-revoke": Row(ADMIN),
    # the management API
    "api:openapi": Row(PUBLIC),
    "api:me": Row(USER),
    "api:me-keys": Row(USER),
    "api:me-keys-create": Row(USER),
    "api:me-keys-revoke": Row(USER),
    "api:me-balance": Row(USER),
    "api:me-ledger": Row(USER),
    "api:me-redeem": Row(USER),
    "api:me-limits": Row(USER),
    "api:me-key-limits": Row(USER),
    "api:users": Row(ADMIN),
    "api:users-create": Row(ADMIN),
    "api:user": Row(ADMIN),
    "api:user-patch": Row(ADMIN),
    "api:user-reset-password": Row(ADMIN),
    "api:user-balance": Row(ADMIN),
    "api:user-limits": Row(ADMIN),
    "api:user-limits-put": Row(ADMIN),
    "api:key-limits": Row(ADMIN),
    "api:key-limits-put": Row(ADMIN),
    "api:ledger": Row(ADMIN),
    "api:prices": Row(ADMIN),
    "api:price": Row(ADMIN),
    "api:price-put": Row(ADMIN),
    "api:price-delete": Row(ADMIN),
    "api:redemption-codes": Row(ADMIN),
    "api:redemption-codes-create": Row(ADMIN),
    "api:channels": Row(ADMIN),
    "api:channels-create": Row(ADMIN),
    "api:channel": Row(ADMIN),
    "api:channel-patch": Row(ADMIN),
    "api:channel-delete": Row(ADMIN),
    "api:channel-test": Row(ADMIN),
    "api:models": Row(ADMIN),
    "api:models-create": Row(ADMIN),
    "api:model-patch": Row(ADMIN),
    "api:model-delete": Row(ADMIN),
    "api:settings": Row(ADMIN),
    "api:settings-patch": Row(ADMIN),
    "api:invites": Row(ADMIN),
    "api:invites-create": Row(ADMIN),
    "api:tokens": Row(ADMIN),
    "api:tokens-create": Row(ADMIN),
    "api:token-revoke": Row(ADMIN),
}
OWNED = {"key_id", "request_id"}  # URL parameters naming something only its owner may see
_PARAM = re.compile(r"\{(\w+)(?::[^{}]*)?\}")
_KEY_IN_PAGE = re.compile(r"sk-[A-Za-z0-9]{40,}")


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str  # the route's pattern, as registered
    row: Row

    @property
    def api(self) -> bool:
        return self.name.startswith("api:")

    @property
    def changes(self) -> bool:
        return self.method not in ("GET", "HEAD")

    def params(self) -> list[str]:
        return _PARAM.findall(self.path + self.row.query)

    def url(self, values: Mapping[str, object]) -> str:
        missing = [p for p in self.params() if p not in values]
        assert not missing, f"{self.name}: give the test a value for {missing}"
        path = _PARAM.sub(lambda m: str(values[m.group(1)]), self.path + self.row.query)
        return path


def registered() -> dict[str, tuple[str, str]]:
    """Every dash:/api: route of the app: name → (method, path pattern)."""
    app = create_app(Settings.load(env={}, data_dir=Path("/nonexistent")))
    found: dict[str, tuple[str, str]] = {}
    for resource in app.router.resources():
        name = resource.name or ""
        if not name.startswith(("dash:", "api:")):
            continue
        methods = sorted({route.method for route in resource} - {"HEAD"})
        assert len(methods) == 1, f"{name} serves {methods}; give each method its own name"
        found[name] = (methods[0], resource.canonical)
    return found


def routes() -> list[Route]:
    """The table joined with the app's routes; those that end the session go last."""
    table = [
        Route(name, method, path, TABLE[name])
        for name, (method, path) in registered().items()
        if name in TABLE
    ]
    return sorted(table, key=lambda r: r.row.ends_session)


# ---- the running server and its people ---------------------------------------------------


@dataclass
class World:
    server: Proc
    admin_password: str
    b_name: str
    b_user_id: int
    b_key_ids: list[int]
    b_prefixes: list[str]
    b_secret: str
    b_request_id: str
    channel_id: int

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def db(self) -> Path:
        return self.server.log_path.parent / "data" / "fourk.db"

    def b_values(self) -> dict[str, object]:
        """URL parameters that name B's things (and harmless values for the rest)."""
        return {
            "key_id": self.b_key_ids[0],
            "request_id": self.b_request_id,
            "user_id": self.b_user_id,
            "channel_id": self.channel_id,
            "token_id": 424242,
            "name": "sim-model",
            "lang": "zh",
        }

    def secrets_of_b(self) -> list[str]:
        return [self.b_secret, self.b_request_id, *self.b_prefixes]


def query(db: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(sql, args))


def serve(tmp: Path, env: dict[str, str] | None = None) -> tuple[Proc, str]:
    """`fourk serve --demo` in a new data dir; returns it and the admin's password."""
    server = start_fourk(tmp / "data", env, "--demo")
    found = re.search(r"password: (\S+)", server.log())
    assert found, server.log()
    return server, found.group(1)


async def _sign_up(url: str, username: str) -> BrowserSession:
    browser = BrowserSession(url)
    await browser.sign_up(username, PASSWORD)
    return browser


async def _relay_once(url: str, key: str) -> None:
    body = {"model": "sim-model", "stream": False, "input": "hello"}
    async with (
        aiohttp.ClientSession() as plain,
        plain.post(
            url + "/v1/responses", json=body, headers={"Authorization": f"Bearer {key}"}
        ) as r,
    ):
        await r.read()
        assert r.status == 200, await r.text()


async def _populate(server: Proc, admin_password: str) -> World:
    """User B (names full of HTML) with two keys and one request; user A."""
    url, db = server.url, server.log_path.parent / "data" / "fourk.db"
    b = await _sign_up(url, SCRIPT)
    await b.get("/account")
    assert (await b.send("POST", "/account/name", {"display_name": IMG})).status == 303
    for name in (SCRIPT, IMG):
        assert (await b.send("POST", "/keys", {"name": name})).status == 303
    rows = query(
        db,
        "SELECT k.id, k.prefix, u.id FROM api_keys k JOIN users u ON u.id = k.user_id "
        "WHERE u.username = ? ORDER BY k.id",
        SCRIPT,
    )
    _, dialog = await b.get(f"/keys/{rows[0][0]}/use")
    secret = _KEY_IN_PAGE.search(html.unescape(dialog))
    assert secret
    await _relay_once(url, secret.group(0))
    await b.close()
    await (await _sign_up(url, "alice")).close()
    deadline = time.monotonic() + 10
    while not (
        logged := query(db, "SELECT request_id FROM request_logs WHERE user_id = ?", rows[0][2])
    ):
        assert time.monotonic() < deadline, "the request log row never came"
        await asyncio.sleep(0.05)
    (channel,) = query(db, "SELECT id FROM channels WHERE name = 'demo-sim'")
    return World(
        server=server,
        admin_password=admin_password,
        b_name=SCRIPT,
        b_user_id=rows[0][2],
        b_key_ids=[r[0] for r in rows],
        b_prefixes=[r[1] for r in rows],
        b_secret=secret.group(0),
        b_request_id=logged[0][0],
        channel_id=channel[0],
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    server, password = serve(tmp_path_factory.mktemp("security"))
    try:
        yield asyncio.run(_populate(server, password))
    finally:
        server.stop()


# ---- requests with a chosen CSRF token -----------------------------------------------------

KEEP = object()


async def call(
    browser: BrowserSession,
    route: Route,
    path: str,
    *,
    csrf: object = KEEP,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """The route's request as the dashboard makes it: a form with the CSRF token, or for /api
    JSON with X-CSRF-Token. `csrf`: KEEP (the browser's), None (none), or a string."""
    token = None if csrf is None else browser.csrf if csrf is KEEP else str(csrf)
    sent = dict(headers or {})
    options: dict[str, Any] = {}
    if route.changes and route.api:
        options["json"] = dict(route.row.form)
        if token is not None:
            sent["X-CSRF-Token"] = token
    elif route.changes:
        fields = list(route.row.form.items())
        options["data"] = [*fields, ("csrf_token", token)] if token is not None else fields
    async with browser.session.request(
        route.method, browser.base + path, headers=sent, allow_redirects=False, **options
    ) as response:
        text = await response.text(errors="replace")
    return Reply(
        response.status, response.headers.get("Location"), text, CIMultiDict(response.headers)
    )


async def logged_in(world: World, username: str, password: str = PASSWORD) -> BrowserSession:
    browser = BrowserSession(world.url)
    reply = await browser.password_step(username, password)
    assert reply.status == 303 and reply.location == "/overview", (username, reply.status)
    await browser.get("/account")
    return browser


async def anonymous(world: World) -> BrowserSession:
    browser = BrowserSession(world.url)
    await browser.get("/login")  # the pre-login CSRF cookie and its token
    assert browser.cookie(PRE_SESSION_COOKIE) == browser.csrf
    return browser


# ---- the route table ------------------------------------------------------------------------


def test_every_route_has_a_row() -> None:
    names = set(registered())
    assert not names - set(TABLE), f"routes without a row in TABLE: {sorted(names - set(TABLE))}"
    assert not set(TABLE) - names, f"rows for routes that are gone: {sorted(set(TABLE) - names)}"


async def test_logged_out_gets_the_login_page_or_401(world: World) -> None:
    problems = []
    browser = await anonymous(world)
    for route in routes():
        reply = await call(browser, route, route.url(world.b_values()))
        if route.row.access == PUBLIC:
            ok = reply.status < 500 and reply.status not in (401, 403)
        elif route.api:
            ok = reply.status == 401
        else:
            ok = reply.status == 303 and reply.location == "/login"
        if not ok:
            problems.append(f"{route.method} {route.name}: {reply.status} {reply.location}")
        if any(secret in reply.text for secret in world.secrets_of_b()):
            problems.append(f"{route.name} shows B's key or request to a stranger")
    await browser.close()
    assert not problems, "\n".join(problems)


async def test_state_changes_need_the_sessions_csrf_token(world: World) -> None:
    other = await logged_in(world, "alice")  # a real token, of another session
    callers = {
        PUBLIC: await anonymous(world),
        PENDING: await anonymous(world),
        USER: await logged_in(world, world.b_name),  # the owner of the things named
        ADMIN: await logged_in(world, "admin", world.admin_password),
    }
    stranger = await anonymous(world)
    problems = []
    for route in [r for r in routes() if r.changes]:
        path = route.url(world.b_values())
        for who in {stranger, callers[route.row.access]}:
            for csrf in (None, other.csrf, "forged"):
                reply = await call(who, route, path, csrf=csrf)
                if reply.status != 403:
                    problems.append(f"{route.name} with CSRF {csrf!r}: {reply.status}")
    for browser in [other, stranger, *callers.values()]:
        await browser.close()
    assert not problems, "\n".join(problems)
    rows = query(world.db, "SELECT revoked_at FROM api_keys WHERE user_id = ?", world.b_user_id)
    assert all(revoked is None for (revoked,) in rows)
    names = query(
        world.db, "SELECT display_name, status, role FROM users WHERE id = ?", world.b_user_id
    )
    assert names == [(IMG, "active", "user")]


async def test_user_a_cannot_see_use_or_revoke_user_bs_things(world: World) -> None:
    alice = await logged_in(world, "alice")
    problems = []
    for route in routes():
        if route.row.ends_session:
            continue
        path = route.url(world.b_values())
        reply = await call(alice, route, path)
        if route.row.access == ADMIN:
            ok = reply.status == 403 or (not route.api and reply.status == 404)
        elif OWNED & set(route.params()) and route.row.query == "":
            ok = reply.status in (403, 404)
        else:
            ok = reply.status < 500
        if not ok:
            problems.append(f"{route.method} {route.name}: {reply.status}")
        # (a 404 may repeat the path A asked for; anything else of B's is a leak)
        leaked = [s for s in world.secrets_of_b() if s in reply.text and s not in path]
        if leaked:
            problems.append(f"{route.name} shows B's {leaked} to A")
    await alice.close()
    assert not problems, "\n".join(problems)
    rows = query(world.db, "SELECT revoked_at FROM api_keys WHERE user_id = ?", world.b_user_id)
    assert all(revoked is None for (revoked,) in rows), "A revoked B's key"


# ---- cookies and session tokens -----------------------------------------------------------


def cookie_flags(reply: Reply, name: str) -> dict[str, object]:
    for header in reply.headers.getall("Set-Cookie", []):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        if name in jar:
            morsel = jar[name]
            return {
                "httponly": bool(morsel["httponly"]),
                "samesite": morsel["samesite"],
                "path": morsel["path"],
                "secure": bool(morsel["secure"]),
            }
    raise AssertionError(f"no Set-Cookie for {name}: {reply.headers.getall('Set-Cookie', [])}")


PLAIN = {"httponly": True, "samesite": "Lax", "path": "/", "secure": False}


async def test_cookie_flags_on_http(world: World) -> None:
    browser = BrowserSession(world.url)
    first = await browser.send("GET", "/login")
    assert cookie_flags(first, PRE_SESSION_COOKIE) == PLAIN
    reply = await browser.send("POST", "/login", {"username": "alice", "password": PASSWORD})
    assert reply.status == 303
    assert cookie_flags(reply, COOKIE) == PLAIN
    await browser.close()


async def test_cookies_are_secure_behind_an_https_proxy(world: World) -> None:
    browser = BrowserSession(world.url)
    await browser.get("/login")
    https = {"X-Forwarded-Proto": "https"}
    route = Route(
        "dash:login-post",
        "POST",
        "/login",
        Row(PUBLIC, {"username": "alice", "password": PASSWORD}),
    )
    reply = await call(browser, route, "/login", headers=https)
    assert reply.status == 303
    assert cookie_flags(reply, COOKIE) == {**PLAIN, "secure": True}
    await browser.close()


async def test_cookies_are_secure_when_the_public_url_is_https(tmp_path: Path) -> None:
    server, password = serve(tmp_path, {"FOURK_PUBLIC_BASE_URL": "https://relay.example.com"})
    try:
        browser = BrowserSession(server.url)
        first = await browser.send("GET", "/login")
        assert cookie_flags(first, PRE_SESSION_COOKIE) == {**PLAIN, "secure": True}
        token = browser.cookie(PRE_SESSION_COOKIE) or browser.csrf
        login = Route(
            "dash:login-post",
            "POST",
            "/login",
            Row(PUBLIC, {"username": "admin", "password": password}),
        )
        # a Secure cookie is not sent back over http: hand it over as a header
        reply = await call(
            browser,
            login,
            "/login",
            csrf=token,
            headers={"Cookie": f"{PRE_SESSION_COOKIE}={token}"},
        )
        assert reply.status == 303
        assert cookie_flags(reply, COOKIE) == {**PLAIN, "secure": True}
        await browser.close()
    finally:
        server.stop()


async def test_login_makes_a_new_token_and_logout_kills_it(world: World) -> None:
    browser = BrowserSession(world.url)
    jar = browser.session.cookie_jar
    jar.update_cookies({COOKIE: "chosen-by-an-attacker"}, response_url=URL(world.url))
    await browser.password_step("alice", PASSWORD)
    first = browser.cookie(COOKIE)
    assert first and first != "chosen-by-an-attacker"
    await browser.password_step("alice", PASSWORD)  # logging in again: yet another token
    second = browser.cookie(COOKIE)
    assert second and second != first
    assert (await _with_token(world, first)).status == 303  # the first one is dead
    assert (await _with_token(world, second)).status == 200
    await browser.get("/keys")
    assert (await browser.send("POST", "/logout")).status == 303
    assert (await _with_token(world, second)).status == 303
    assert browser.cookie(COOKIE) in (None, "")
    await browser.close()


async def _with_token(world: World, token: str) -> Reply:
    async with (
        aiohttp.ClientSession() as plain,
        plain.get(
            world.url + "/keys", headers={"Cookie": f"{COOKIE}={token}"}, allow_redirects=False
        ) as r,
    ):
        return Reply(r.status, r.headers.get("Location"), await r.text(), CIMultiDict(r.headers))


# ---- the login throttle and two-factor login ----------------------------------------------


async def test_login_throttle_per_account_and_per_address(tmp_path: Path) -> None:
    server, password = serve(tmp_path)
    try:
        browser = BrowserSession(server.url)
        for attempt in range(1, 6):
            reply = await browser.password_step("admin", f"wrong guess {attempt}")
            assert reply.status == (400 if attempt < 5 else 429), (attempt, reply.status)
        assert reply.headers["Retry-After"] == "60"
        assert "Too many failed attempts. Try again in 60 seconds." in reply.text
        right = await browser.password_step("admin", password)
        assert right.status == 429  # the right password waits too
        other = await browser.password_step("demo", "not the demo password")
        assert other.status == 400  # other accounts are not locked
        # the address: 20 failures in 15 minutes (6 so far), whichever accounts they name
        for attempt in range(13):
            assert (await browser.password_step(f"nobody{attempt}", "x")).status == 400
        locked = await browser.password_step("nobody-else", "x")
        assert locked.status == 429 and "Try again in" in locked.text
        await browser.close()
    finally:
        server.stop()


async def test_two_factor_login_end_to_end(world: World) -> None:
    carol = await _sign_up(world.url, "carol")
    await carol.get("/account")
    secret, codes = await carol.turn_on_two_factor()
    assert (await carol.send("POST", "/logout")).status == 303
    await carol.close()

    phone = BrowserSession(world.url)
    reply = await phone.password_step("carol", PASSWORD)
    assert reply.status == 303 and reply.location == "/login/second-factor"
    assert (await phone.send("GET", "/overview")).location == "/login/second-factor"
    next_code = totp.code_at(secret, datetime.now(UTC) + timedelta(seconds=30))
    reply = await phone.send("POST", "/login/second-factor", {"code": next_code})
    assert reply.status == 303 and reply.location == "/overview"
    status, page = await phone.get("/overview")
    assert status == 200 and "carol" in page
    await phone.close()

    for expected in (303, 400):  # a recovery code works once
        browser = BrowserSession(world.url)
        await browser.password_step("carol", PASSWORD)
        reply = await browser.send("POST", "/login/second-factor", {"code": codes[3]})
        assert reply.status == expected
        await browser.close()


# ---- escaping, password storage -----------------------------------------------------------


async def test_names_full_of_html_are_escaped_on_every_page(world: World) -> None:
    viewers = {
        "B": await logged_in(world, world.b_name),
        "admin": await logged_in(world, "admin", world.admin_password),
    }
    values = {**world.b_values(), "key_id": world.b_key_ids[1]}
    problems, seen = [], 0
    for who, browser in viewers.items():
        for route in routes():
            if route.changes:
                continue
            reply = await call(browser, route, route.url(values))
            if "html" not in reply.headers.get("Content-Type", ""):
                continue
            raw = [p for p in (SCRIPT, IMG) if p in reply.text]
            if raw:
                problems.append(f"{route.name} as {who} shows {raw} unescaped")
            seen += str(html.escape(SCRIPT, quote=False)) in reply.text
    await _echoed_forms(world, problems)
    for browser in viewers.values():
        await browser.close()
    assert not problems, "\n".join(problems)
    assert seen >= 3  # the names were on the pages, escaped


async def _echoed_forms(world: World, problems: list[str]) -> None:
    """Forms that show what was typed back: login and sign-up with a name full of HTML."""
    browser = await anonymous(world)
    for path, form in (
        ("/login", {"username": IMG, "password": "x"}),
        ("/signup", {"username": SCRIPT, "password": PASSWORD}),  # taken: the form comes back
        ("/signup", {"username": IMG, "password": "short"}),
    ):
        reply = await browser.send("POST", path, form)
        if SCRIPT in reply.text or IMG in reply.text:
            problems.append(f"POST {path} echoes the name unescaped")
    await browser.close()


def test_passwords_are_stored_as_argon2id(world: World) -> None:
    rows = query(world.db, "SELECT username, password_hash FROM users")
    assert len(rows) >= 4
    for username, stored in rows:
        assert str(stored).startswith("$argon2id$"), username
        assert PASSWORD not in str(stored)


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "/\\/evil.example"]
)
async def test_the_language_switch_does_not_redirect_off_site(world: World, target: str) -> None:
    async with (
        aiohttp.ClientSession() as plain,
        plain.get(world.url + "/lang/zh", params={"next": target}, allow_redirects=False) as reply,
    ):
        assert reply.status == 303 and reply.headers["Location"] == "/"
