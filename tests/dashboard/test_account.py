"""The account page: display name, password change, sessions, and two-factor sign-in."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web
from markupsafe import escape
from sqlalchemy import select, update

import fourk.dashboard
from fourk.accounts import totp
from fourk.accounts.sessions import COOKIE, token_digest
from fourk.api.context import SERVICES
from fourk.dashboard.i18n import Catalogs
from fourk.dashboard.views.account_page import DONE
from fourk.store.tables import recovery_codes, sessions, users
from tests.support.browser_session import BrowserSession
from tests.support.dashboard_app import dashboard

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a much better passphrase"
_T_CALL = re.compile(r"\bt\(\s*([\"'])(.*?)\1")


@asynccontextmanager
async def site(tmp: Path) -> AsyncIterator[tuple[web.Application, str]]:
    async with dashboard(tmp) as (app, root, _):
        yield app, root


@asynccontextmanager
async def browser(root: str, username: str | None = None) -> AsyncIterator[BrowserSession]:
    """A browser; with `username`, signed up (or logged in, if the user exists)."""
    one = BrowserSession(root)
    try:
        if username:
            await one.get("/signup")
            reply = await one.send("POST", "/signup", {"username": username, "password": PASSWORD})
            if reply.status != 303:
                assert (await one.password_step(username, PASSWORD)).status == 303
            await one.get("/account")
        yield one
    finally:
        await one.close()


def later_code(secret: str, steps: int = 1) -> str:
    """A code of a coming step (the current one was used up by enrolling; the window
    accepts one step ahead)."""
    return totp.code_at(secret, datetime.now(UTC) + timedelta(seconds=30 * steps))


async def test_account_page_shows_the_user_and_needs_a_login(tmp_path: Path) -> None:
    async with site(tmp_path) as (_, root), browser(root) as anonymous:
        reply = await anonymous.send("GET", "/account")
        assert reply.status == 303 and reply.location == "/login"
        async with browser(root, "alice") as alice:
            status, page = await alice.get("/account")
            assert status == 200
            assert '<strong class="username">alice</strong>' in page
            assert "this browser" in page and "Turn on two-factor sign-in" in page
            assert 'aria-current="page"' in page and ">Account</a>" in page


async def test_display_name_is_saved_checked_and_escaped(tmp_path: Path) -> None:
    async with site(tmp_path) as (app, root), browser(root, "alice") as alice:
        name = '"><img src=x onerror=alert(1)> Alice'
        reply = await alice.send("POST", "/account/name", {"display_name": name})
        assert reply.status == 303 and reply.location == "/account?done=name"
        _, page = await alice.get("/account")
        assert name not in page and "<img" not in page
        assert str(escape(name)) in page  # in the header and the form
        user = await app[SERVICES].store.users.by_name("alice")
        assert user is not None and user.display_name == name
        too_long = await alice.send("POST", "/account/name", {"display_name": "x" * 129})
        assert too_long.status == 400 and "at most 128 characters" in too_long.text
        control = await alice.send("POST", "/account/name", {"display_name": "a\x00b"})
        assert control.status == 400
        cleared = await alice.send("POST", "/account/name", {"display_name": "  "})
        assert cleared.status == 303
        user = await app[SERVICES].store.users.by_name("alice")
        assert user is not None and user.display_name is None


async def test_password_change_checks_and_ends_other_sessions(tmp_path: Path) -> None:
    async with (
        site(tmp_path) as (app, root),
        browser(root, "alice") as here,
        browser(root, "alice") as elsewhere,
    ):
        _, page = await here.get("/account")
        assert page.count("<tr") == 3  # the header and two sessions
        form = {"current_password": "wrong one!", "new_password": NEW_PASSWORD}
        wrong = await here.send(
            "POST", "/account/password", form | {"new_password_again": NEW_PASSWORD}
        )
        assert wrong.status == 400 and "current password is not right" in wrong.text
        differ = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        reply = await here.send(
            "POST", "/account/password", differ | {"new_password_again": "x" * 12}
        )
        assert reply.status == 400 and "not the same" in reply.text
        short = {
            "current_password": PASSWORD,
            "new_password": "short",
            "new_password_again": "short",
        }
        reply = await here.send("POST", "/account/password", short)
        assert reply.status == 400 and "at least 10 characters" in reply.text

        old_cookie = here.cookie(COOKIE)
        good = differ | {"new_password_again": NEW_PASSWORD}
        reply = await here.send("POST", "/account/password", good)
        assert reply.status == 303 and reply.location == "/account?done=password"
        assert here.cookie(COOKIE) not in (None, old_cookie)  # this browser gets a new token
        status, page = await here.get(reply.location)
        assert status == 200 and "Your password is changed" in page
        assert (await elsewhere.send("GET", "/account")).status == 303  # logged out there

        async with app[SERVICES].store.engine.connect() as conn:
            stored = await conn.scalar(
                select(users.c.password_hash).where(users.c.username == "alice")
            )
        assert str(stored).startswith("$argon2id$")
        async with browser(root) as fresh:
            assert (await fresh.password_step("alice", PASSWORD)).status == 400
            assert (await fresh.password_step("alice", NEW_PASSWORD)).status == 303


async def test_log_out_other_sessions(tmp_path: Path) -> None:
    async with (
        site(tmp_path) as (_, root),
        browser(root, "alice") as here,
        browser(root, "alice") as there,
        browser(root, "bob") as bob,
    ):
        await here.get("/account")
        reply = await here.send("POST", "/account/sessions/end-others")
        assert reply.status == 303 and reply.location == "/account?done=sessions"
        assert (await there.send("GET", "/keys")).status == 303
        assert (await here.send("GET", "/keys")).status == 200
        assert (await bob.send("GET", "/keys")).status == 200  # other users are not touched
        _, page = await here.get("/account")
        assert page.count("this browser") == 1 and "Log out other sessions" not in page


async def test_two_factor_enrol_login_with_app_and_recovery_codes(tmp_path: Path) -> None:
    async with site(tmp_path) as (app, root), browser(root, "alice") as alice:
        status, page = await alice.get("/account/two-factor")
        assert status == 200 and "<svg" in page and 'class="qr"' in page
        assert "otpauth" not in page  # the URI is only in the QR code
        secret, codes = await alice.turn_on_two_factor()
        assert len(set(codes)) == 10
        _, page = await alice.get("/account")
        assert "10 of 10 recovery codes left" in page

        store = app[SERVICES].store
        async with store.engine.connect() as conn:
            sealed = await conn.scalar(
                select(users.c.totp_sealed).where(users.c.username == "alice")
            )
            digests = (await conn.execute(select(recovery_codes.c.digest))).scalars().all()
        assert str(sealed).startswith("v1.") and secret not in str(sealed)
        assert len(digests) == 10 and not set(codes) & set(digests)

        async with browser(root) as phone:
            reply = await phone.password_step("alice", PASSWORD)
            assert reply.status == 303 and reply.location == "/login/second-factor"
            pending = phone.cookie(COOKIE)
            assert (await phone.send("GET", "/keys")).location == "/login/second-factor"
            status, page = await phone.get("/login/second-factor")
            assert status == 200 and "Logging in as alice" in page
            assert ">API keys</a>" not in page  # no menu before the second step
            wrong = await phone.send("POST", "/login/second-factor", {"code": "000000"})
            assert wrong.status == 400 and "did not work" in wrong.text
            reply = await phone.send("POST", "/login/second-factor", {"code": later_code(secret)})
            assert reply.status == 303 and reply.location == "/overview"
            assert phone.cookie(COOKIE) not in (None, pending)  # a new token
            assert await store.sessions.get(token_digest(pending or "")) is None
            assert (await phone.send("GET", "/keys")).status == 200

        async with browser(root) as replay:  # the same code again: refused
            await replay.password_step("alice", PASSWORD)
            again = await replay.send("POST", "/login/second-factor", {"code": later_code(secret)})
            assert again.status == 400
            used = await replay.send("POST", "/login/second-factor", {"code": codes[0].upper()})
            assert used.status == 303 and used.location == "/account?done=recovered"
            _, page = await replay.get("/account?done=recovered")
            assert "recovery code" in page and "9 of 10 recovery codes left" in page

        async with browser(root) as thief:  # a recovery code works once
            await thief.password_step("alice", PASSWORD)
            reply = await thief.send("POST", "/login/second-factor", {"code": codes[0]})
            assert reply.status == 400
            assert (await thief.send("GET", "/account")).status == 303


async def test_two_factor_codes_regenerate_and_disable(tmp_path: Path) -> None:
    async with site(tmp_path) as (app, root), browser(root, "alice") as alice:
        secret, codes = await alice.turn_on_two_factor()
        await alice.get("/account")
        bad = await alice.send(
            "POST", "/account/two-factor/recovery-codes", {"password": "nope nope"}
        )
        assert bad.status == 400 and "password is not right" in bad.text
        reply = await alice.send(
            "POST", "/account/two-factor/recovery-codes", {"password": PASSWORD}
        )
        assert reply.status == 200 and reply.headers["Cache-Control"] == "no-store"
        fresh = re.findall(r"\b[a-z2-9]{4}(?:-[a-z2-9]{4}){3}\b", reply.text)
        assert len(fresh) == 10 and not set(fresh) & set(codes)

        await alice.get("/account")
        wrong_code = {"password": PASSWORD, "code": codes[1]}  # an old code: no longer valid
        reply = await alice.send("POST", "/account/two-factor/disable", wrong_code)
        assert reply.status == 400 and "password or the code" in reply.text
        wrong_password = {"password": "not it at all", "code": later_code(secret)}
        reply = await alice.send("POST", "/account/two-factor/disable", wrong_password)
        assert reply.status == 400
        reply = await alice.send(
            "POST", "/account/two-factor/disable", {"password": PASSWORD, "code": fresh[0]}
        )
        assert reply.status == 303 and reply.location == "/account?done=disabled"
        user = await app[SERVICES].store.users.by_name("alice")
        assert user is not None and not user.two_factor
        assert await app[SERVICES].store.recovery_codes.unused(user.id) == 0
        async with browser(root) as again:
            reply = await again.password_step("alice", PASSWORD)
            assert reply.status == 303 and reply.location == "/overview"


async def test_enrolment_refuses_a_wrong_code_a_stale_or_foreign_token(tmp_path: Path) -> None:
    async with (
        site(tmp_path) as (app, root),
        browser(root, "alice") as alice,
        browser(root, "bob") as bob,
    ):
        _, page = await alice.get("/account/two-factor")
        token = re.search(r'name="enrollment" value="([^"]+)"', page)
        secret = re.search(r'data-secret="([A-Z2-7]+)"', page)
        assert token and secret
        wrong = await alice.send(
            "POST", "/account/two-factor", {"enrollment": token.group(1), "code": "123456"}
        )
        assert wrong.status == 400 and secret.group(1) in wrong.text  # the same secret again
        await bob.get("/account/two-factor")
        code = totp.code_at(secret.group(1), datetime.now(UTC))
        stolen = await bob.send(
            "POST", "/account/two-factor", {"enrollment": token.group(1), "code": code}
        )
        assert stolen.status == 400 and "expired" in stolen.text
        user = await app[SERVICES].store.users.by_name("bob")
        assert user is not None and not user.two_factor


async def test_the_second_step_must_follow_the_password_soon(tmp_path: Path) -> None:
    async with site(tmp_path) as (app, root), browser(root, "alice") as alice:
        secret, _ = await alice.turn_on_two_factor()
        async with browser(root) as slow:
            await slow.password_step("alice", PASSWORD)
            digest = token_digest(slow.cookie(COOKIE) or "")
            async with app[SERVICES].store.engine.begin() as conn:
                old = datetime.now(UTC) - timedelta(minutes=11)
                await conn.execute(
                    update(sessions).where(sessions.c.id == digest).values(created_at=old)
                )
            reply = await slow.send("POST", "/login/second-factor", {"code": later_code(secret)})
            assert reply.status == 303 and reply.location == "/login"
            assert await app[SERVICES].store.sessions.get(digest) is None


async def test_wrong_codes_lock_the_second_step(tmp_path: Path) -> None:
    async with site(tmp_path) as (_, root), browser(root, "alice") as alice:
        secret, _ = await alice.turn_on_two_factor()
        async with browser(root) as guesser:
            await guesser.password_step("alice", PASSWORD)
            for _ in range(4):
                reply = await guesser.send("POST", "/login/second-factor", {"code": "000000"})
                assert reply.status == 400
            reply = await guesser.send("POST", "/login/second-factor", {"code": "000000"})
            assert reply.status == 429 and reply.headers["Retry-After"] == "60"
            assert "Try again in 60 seconds" in reply.text
            right = await guesser.send("POST", "/login/second-factor", {"code": later_code(secret)})
            assert right.status == 429  # not even checked while locked


def test_every_string_of_the_account_pages_has_a_chinese_translation() -> None:
    folder = Path(fourk.dashboard.__file__).parent
    templates = [
        *sorted((folder / "templates" / "account").glob("*.html")),
        folder / "templates" / "auth" / "second_factor.html",
    ]
    said = {m.group(2) for t in templates for m in _T_CALL.finditer(t.read_text())}
    said |= set(DONE.values())
    zh = Catalogs().strings("zh")
    assert said and not sorted(said - set(zh))


async def test_the_account_page_in_chinese(tmp_path: Path) -> None:
    async with site(tmp_path) as (_, root), browser(root, "alice") as alice:
        await alice.get("/lang/zh")
        status, page = await alice.get("/account")
        assert status == 200 and "修改密码" in page and "开启两步验证登录" in page
