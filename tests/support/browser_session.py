"""A browser for any running fourk (a real process or the in-process app): cookies kept,
the CSRF token read from every page, forms posted without following redirects, the
two login steps, and /api calls the way the dashboard makes them (session cookie plus
X-CSRF-Token). Also plain token calls, for a script's view of /api.

    browser = await log_in(url, "admin", password)
    reply = await browser.send("POST", "/admin/users/2/status", {"status": "disabled"})
    status, body = await browser.api("PATCH", "/api/settings", {"site_name": "x"})
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import orjson
from multidict import CIMultiDict

from fourk.accounts import totp
from tests.support.dashboard_app import Browser

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_RECOVERY_CODE = re.compile(r"\b[a-z2-9]{4}(?:-[a-z2-9]{4}){3}\b")


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    location: str | None  # the Location header of a redirect (not followed)
    text: str
    headers: CIMultiDict[str]


class BrowserSession(Browser):
    """A Browser (cookies, forms with CSRF) that also logs in step by step and calls /api."""

    async def send(self, method: str, path: str, form: Mapping[str, str] | None = None) -> Reply:
        """One request, redirects not followed. A POST carries the form and the CSRF token
        of the last page seen; any page in the answer updates that token."""
        fields = list((form or {}).items())
        if method == "GET":
            options: dict[str, Any] = {"params": fields} if fields else {}
        else:
            options = {"data": [*fields, ("csrf_token", self.csrf)]}
        async with self.session.request(
            method, self.base + path, allow_redirects=False, **options
        ) as response:
            text = await response.text()
        self._remember_csrf(text)
        return Reply(
            response.status, response.headers.get("Location"), text, CIMultiDict(response.headers)
        )

    async def password_step(self, username: str, password: str) -> Reply:
        """The login form; when it redirects, the next page is loaded (for its CSRF token)."""
        await self.get("/login")
        reply = await self.send("POST", "/login", {"username": username, "password": password})
        if reply.status == 303 and reply.location:
            await self.get(reply.location)
        return reply

    async def turn_on_two_factor(self) -> tuple[str, list[str]]:
        """Enrol in two-factor sign-in with the current code; (secret, recovery codes)."""
        _, page = await self.get("/account/two-factor")
        token = re.search(r'name="enrollment" value="([^"]+)"', page)
        secret = re.search(r'data-secret="([A-Z2-7]+)"', page)
        assert token and secret, "the enrolment page has no token or secret"
        code = totp.code_at(secret.group(1), datetime.now(UTC))
        reply = await self.send(
            "POST", "/account/two-factor", {"enrollment": token.group(1), "code": code}
        )
        assert reply.status == 200, reply.status
        return secret.group(1), list(dict.fromkeys(_RECOVERY_CODE.findall(reply.text)))

    def cookie(self, name: str) -> str | None:
        for morsel in self.session.cookie_jar:
            if morsel.key == name:
                return morsel.value
        return None

    async def api(
        self, method: str, path: str, payload: object | None = None, *, csrf: bool = True
    ) -> tuple[int, Any]:
        """(status, parsed JSON body) of a management API call made with the session."""
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if csrf:
            headers["X-CSRF-Token"] = self.csrf
        data = orjson.dumps(payload) if payload is not None else None
        async with self.session.request(
            method, self.base + path, data=data, headers=headers, allow_redirects=False
        ) as response:
            raw = await response.read()
        return response.status, _json_or_text(raw)

    def _remember_csrf(self, text: str) -> None:
        found = _CSRF.search(text)
        if found:
            self.csrf = found.group(1)


async def log_in(base: str, username: str, password: str) -> BrowserSession:
    """Log in through the form like a person; fails the test if the login is refused."""
    browser = BrowserSession(base)
    reply = await browser.password_step(username, password)
    if reply.status != 303:
        await browser.close()
        raise AssertionError(f"login as {username} refused: HTTP {reply.status}")
    await browser.get("/keys")  # a page of the logged-in session: its CSRF token
    return browser


async def token_call(
    base: str, method: str, path: str, token: str | None, payload: object | None = None
) -> tuple[int, Any]:
    """(status, parsed body) of a call with `Authorization: Bearer <token>` and no cookies."""
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = orjson.dumps(payload) if payload is not None else None
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, base + path, data=data, headers=headers) as response,
    ):
        raw = await response.read()
    return response.status, _json_or_text(raw)


def _json_or_text(raw: bytes) -> Any:
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", "replace")
