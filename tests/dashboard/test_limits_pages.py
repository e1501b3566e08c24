"""Limits on the dashboard: the operator's forms on a user's page (the user's own limits and
one form per key), what the keys page shows the user, refusals, and Chinese."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from fourk.api.context import SERVICES
from fourk.dashboard.i18n import Catalogs
from fourk.limits.describe import PHRASES
from fourk.limits.rules import Limits
from fourk.services import bootstrap
from fourk.services.accounts import create_key, create_user
from fourk.sim.options import DEFAULT_MODELS
from tests.support.browser_session import BrowserSession, log_in
from tests.support.dashboard_app import dashboard

PASSWORD = "limits pages passphrase"
EMPTY = {n: "" for n in ("rpm", "tpm", "concurrency", "spend_day", "spend_month", "spend_total")}


@asynccontextmanager
async def operator(
    tmp: Path,
) -> AsyncIterator[tuple[web.Application, str, BrowserSession, dict[str, tuple[int, int]]]]:
    """The in-process site, the admin logged in, and users alice and bob with a key each:
    name → (user id, key id)."""
    async with dashboard(tmp) as (app, root, password):
        people = {}
        for name in ("alice", "bob"):
            user, _ = await create_user(app[SERVICES].store, name, password=PASSWORD)
            key = await create_key(app[SERVICES].store, user, name=f"{name} laptop")
            people[name] = (user.id, key.record.id)
        await app[SERVICES].directory.reload()
        admin = await log_in(root, "admin", password)
        try:
            yield app, root, admin, people
        finally:
            await admin.close()


def form_of(page: str, which: str) -> str:
    found = re.search(rf'<form [^>]*data-limits="{which}".*?</form>', page, re.S)
    assert found, f"no limits form {which}"
    return found.group(0)


def value_of(form: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', form)
    assert found, name
    return html.unescape(found.group(1))


async def test_the_operator_sets_a_users_and_a_keys_limits(tmp_path: Path) -> None:
    async with operator(tmp_path) as (app, _root, admin, people):
        alice, key_id = people["alice"]
        status, page = await admin.get(f"/admin/users/{alice}")
        assert status == 200 and value_of(form_of(page, "user"), "rpm") == ""
        assert "alice laptop" in page and "no limits" in page
        form = EMPTY | {"rpm": "60", "spend_day": "5"}
        reply = await admin.send("POST", f"/admin/users/{alice}/limits", form)
        assert reply.status == 303 and reply.location == f"/admin/users/{alice}?done=limits#limits"
        user = app[SERVICES].directory.users_by_id[alice]  # live on this node at once
        assert user.limits == Limits(rpm=60, spend_day=5_000_000)

        _, page = await admin.get(f"/admin/users/{alice}?done=limits")
        assert "Limits saved." in page and "60 rpm · $5.00/day" in html.unescape(page)
        shown = form_of(page, "user")
        assert value_of(shown, "rpm") == "60" and value_of(shown, "spend_day") == "5.00"

        form = EMPTY | {"concurrency": "2", "spend_total": "1.5"}
        reply = await admin.send("POST", f"/admin/users/{alice}/keys/{key_id}/limits", form)
        assert reply.status == 303, reply.text
        key = await app[SERVICES].store.keys.by_id(key_id)
        assert key is not None and key.limits == Limits(concurrency=2, spend_total=1_500_000)
        _, page = await admin.get(f"/admin/users/{alice}?done=key-limits")
        assert "Key limits saved." in page
        assert value_of(form_of(page, f"key-{key_id}"), "spend_total") == "1.50"

        reply = await admin.send("POST", f"/admin/users/{alice}/limits", EMPTY)
        assert reply.status == 303 and app[SERVICES].directory.users_by_id[alice].limits is None


async def test_the_keys_page_shows_each_keys_limits(tmp_path: Path) -> None:
    async with operator(tmp_path) as (app, root, admin, people):
        alice, key_id = people["alice"]
        other = await create_key(app[SERVICES].store, await _user(app, alice), name="spare")
        await app[SERVICES].directory.reload()
        await admin.get(f"/admin/users/{alice}")
        form = EMPTY | {"rpm": "60", "tpm": "12000", "spend_day": "5"}
        await admin.send("POST", f"/admin/users/{alice}/keys/{key_id}/limits", form)
        await admin.send("POST", f"/admin/users/{alice}/limits", EMPTY | {"concurrency": "3"})
        browser = await log_in(root, "alice", PASSWORD)
        try:
            status, page = await browser.get("/keys")
        finally:
            await browser.close()
        text = html.unescape(page)
        assert status == 200 and "60 rpm · 12,000 tpm · $5.00/day" in text
        assert f'data-limits-summary="key-{key_id}"' in page
        assert f'data-limits-summary="key-{other.record.id}"' not in page  # none: nothing shown
        assert "3 at a time" in text  # the account's own limits, over every key


async def _user(app: web.Application, user_id: int) -> Any:
    user = await app[SERVICES].store.users.by_id(user_id)
    assert user is not None
    return user


async def test_bad_values_and_other_users_keys_are_refused(tmp_path: Path) -> None:
    async with operator(tmp_path) as (app, root, admin, people):
        (alice, _), (bob, bob_key) = people["alice"], people["bob"]
        await admin.get(f"/admin/users/{alice}")
        for bad, words in (
            ({"rpm": "0"}, "at least 1"),
            ({"tpm": "many"}, "at least 1"),
            ({"spend_month": "ten"}, "not an amount of dollars"),
            ({"spend_day": "-1"}, "cannot be negative"),
        ):
            reply = await admin.send("POST", f"/admin/users/{alice}/limits", EMPTY | bad)
            assert reply.status == 400 and words in html.unescape(reply.text), bad
            assert 'role="alert"' in reply.text
        # bob's key under alice's page: not found, nothing stored
        reply = await admin.send(
            "POST", f"/admin/users/{alice}/keys/{bob_key}/limits", EMPTY | {"rpm": "1"}
        )
        assert reply.status == 404
        assert (await _user(app, alice)).limits is None
        key = await app[SERVICES].store.keys.by_id(bob_key)
        assert key is not None and key.limits is None

        bob_browser = await log_in(root, "bob", PASSWORD)
        try:
            for path in (f"/admin/users/{bob}/limits", f"/admin/users/{bob}/keys/{bob_key}/limits"):
                reply = await bob_browser.send("POST", path, EMPTY | {"rpm": "1000"})
                assert reply.status == 403, path
        finally:
            await bob_browser.close()
        assert (await _user(app, bob)).limits is None


async def test_a_limit_set_on_the_page_binds_the_next_request(tmp_path: Path) -> None:
    async with operator(tmp_path) as (app, root, admin, _):
        store = app[SERVICES].store
        demo = await bootstrap.ensure_demo(store, DEFAULT_MODELS)  # the demo user has money
        (key,) = [k for k in await store.keys.all() if k.name == bootstrap.DEMO_KEY_NAME]
        await admin.get(f"/admin/users/{key.user_id}")
        reply = await admin.send(
            "POST", f"/admin/users/{key.user_id}/keys/{key.id}/limits", EMPTY | {"rpm": "1"}
        )
        assert reply.status == 303
        answers = [await _ask(root, demo.key) for _ in range(2)]
        assert [a[0] for a in answers] == [200, 429]
        assert 1 <= int(answers[1][1]["Retry-After"]) <= 60


async def _ask(root: str, key: str) -> tuple[int, dict[str, str]]:
    body = {"model": "sim-model", "input": "hi", "stream": False}
    async with (
        aiohttp.ClientSession() as plain,
        plain.post(
            root + "/v1/responses", json=body, headers={"Authorization": f"Bearer {key}"}
        ) as reply,
    ):
        await reply.read()
        return reply.status, dict(reply.headers)


def test_every_limit_phrase_has_a_chinese_translation() -> None:
    catalog = Catalogs().strings("zh")
    for phrase, placeholder in PHRASES.values():
        assert phrase in catalog, phrase
        assert "{" + placeholder + "}" in catalog[phrase], phrase
    assert "no limits" in catalog


async def test_the_limits_render_in_chinese(tmp_path: Path) -> None:
    async with operator(tmp_path) as (_, root, admin, people):
        alice, key_id = people["alice"]
        await admin.get(f"/admin/users/{alice}")
        form = EMPTY | {"rpm": "60", "spend_day": "5"}
        await admin.send("POST", f"/admin/users/{alice}/keys/{key_id}/limits", form)
        admin.session.cookie_jar.update_cookies({"fourk_lang": "zh"})
        _, page = await admin.get(f"/admin/users/{alice}")
        assert "限额" in page and "每分钟请求数" in page and "每分钟 60 次请求 · $5.00/天" in page
        browser = await log_in(root, "alice", PASSWORD)
        try:
            browser.session.cookie_jar.update_cookies({"fourk_lang": "zh"})
            _, page = await browser.get("/keys")
        finally:
            await browser.close()
        assert "每分钟 60 次请求 · $5.00/天" in page
