"""Per user and per key limits through the management API, against the in-process app: an
admin sets and reads them (as a script and as the dashboard), bad values are refused with the
field named, a user reads only their own, and a limit set here binds the next request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from fourk.api.context import SERVICES
from fourk.limits.codec import NAMES
from fourk.limits.describe import describe_limits, limits_from, merge_limits
from fourk.limits.rules import Limits
from fourk.services import bootstrap
from fourk.services.accounts import create_key, create_user
from fourk.sim.options import DEFAULT_MODELS
from tests.support.browser_session import BrowserSession, log_in, token_call
from tests.support.dashboard_app import dashboard

PASSWORD = "limits api passphrase"
NONE = dict.fromkeys(NAMES)


@asynccontextmanager
async def api_site(tmp: Path) -> AsyncIterator[tuple[web.Application, str, str]]:
    """The in-process site; yields (app, root, an admin's management token)."""
    async with dashboard(tmp) as (app, root, password):
        admin = await log_in(root, "admin", password)
        status, body = await admin.api("POST", "/api/tokens", {"name": "limits tests"})
        await admin.close()
        assert status == 201, body
        yield app, root, str(body["secret"])


async def member(app: web.Application, root: str, name: str) -> tuple[int, int, BrowserSession]:
    """A user with one key, logged in: (user id, key id, their browser)."""
    user, _ = await create_user(app[SERVICES].store, name, password=PASSWORD)
    key = await create_key(app[SERVICES].store, user, name=f"{name}'s key")
    await app[SERVICES].directory.reload()
    return user.id, key.record.id, await log_in(root, name, PASSWORD)


async def ok(root: str, method: str, path: str, token: str, payload: Any = None) -> Any:
    status, body = await token_call(root, method, path, token, payload)
    assert status == 200, (method, path, status, body)
    return body


async def ask(root: str, key: str) -> tuple[int, dict[str, str], Any]:
    body = {"model": "sim-model", "input": "hi", "stream": False}
    async with (
        aiohttp.ClientSession() as plain,
        plain.post(
            root + "/v1/responses", json=body, headers={"Authorization": f"Bearer {key}"}
        ) as reply,
    ):
        return reply.status, dict(reply.headers), await reply.json()


def test_limits_are_read_from_forms_and_json_and_said_for_people() -> None:
    form = {"rpm": "60", "tpm": "", "concurrency": " 2 ", "spend_day": "5", "spend_total": ""}
    assert limits_from(form) == Limits(rpm=60, concurrency=2, spend_day=5_000_000)
    script = {"spend_day": "2.50", "spend_month": 40_000_000, "tpm": None}
    assert limits_from(script) == Limits(spend_day=2_500_000, spend_month=40_000_000)
    assert limits_from({}) is None and limits_from({"rpm": ""}) is None
    assert limits_from({"spend_total": 0}) == Limits(spend_total=0)  # a cap of $0 is a cap
    said = describe_limits(Limits(rpm=60, tpm=12_000, spend_day=5_000_000, spend_total=1))
    assert said == "60 rpm · 12,000 tpm · $5.00/day · $0.000001 in all"
    assert describe_limits(None) == "no limits"
    # the CLI's merge: values given replace, the rest stay
    kept = merge_limits(Limits(rpm=5, spend_day=1), {"tpm": 9, "spend_day": "1", "rpm": None})
    assert kept == Limits(rpm=5, tpm=9, spend_day=1_000_000)


async def test_an_admin_sets_and_reads_user_and_key_limits(tmp_path: Path) -> None:
    async with api_site(tmp_path) as (app, root, token):
        alice, key_id, browser = await member(app, root, "alice")
        await browser.close()
        payload = {"rpm": 60, "tpm": None, "spend_day": "5.00", "spend_month": 50_000_000}
        body = await ok(root, "PUT", f"/api/users/{alice}/limits", token, payload)
        limits = NONE | {"rpm": 60, "spend_day": 5_000_000, "spend_month": 50_000_000}
        assert body == {
            "user_id": alice,
            "limits": limits,
            "display": "60 rpm · $5.00/day · $50.00/month",
        }
        assert await ok(root, "GET", f"/api/users/{alice}/limits", token) == body
        user = app[SERVICES].directory.users_by_id[alice]  # this node sees it at once
        assert user.limits == Limits(rpm=60, spend_day=5_000_000, spend_month=50_000_000)

        body = await ok(root, "PUT", f"/api/keys/{key_id}/limits", token, {"concurrency": 2})
        assert body["limits"] == NONE | {"concurrency": 2} and body["user_id"] == alice
        assert body["display"] == "2 at a time" and body["name"] == "alice's key"
        assert await ok(root, "GET", f"/api/keys/{key_id}/limits", token) == body
        stored = await app[SERVICES].store.keys.by_id(key_id)
        assert stored is not None and stored.limits == Limits(concurrency=2)

        cleared = await ok(root, "PUT", f"/api/users/{alice}/limits", token, {})
        assert cleared["limits"] == NONE and cleared["display"] == "no limits"
        assert app[SERVICES].directory.users_by_id[alice].limits is None


BAD = [
    ({"rpm": 0}, "rpm"),
    ({"tpm": "lots"}, "tpm"),
    ({"concurrency": 1.5}, "concurrency"),
    ({"rpm": True}, "rpm"),
    ({"spend_day": -1}, "spend_day"),
    ({"spend_month": "ten dollars"}, "spend_month"),
    ({"spend_total": 2.5}, "spend_total"),  # no floats for money
    ({"spend_day": "0.0000001"}, "spend_day"),  # finer than a micro-dollar
    ({"rps": 5}, "rps"),
]


async def test_bad_values_are_a_400_naming_the_field(tmp_path: Path) -> None:
    async with api_site(tmp_path) as (app, root, token):
        alice, key_id, browser = await member(app, root, "alice")
        await browser.close()
        for payload, param in BAD:
            for path in (f"/api/users/{alice}/limits", f"/api/keys/{key_id}/limits"):
                status, body = await token_call(root, "PUT", path, token, payload)
                assert status == 400, (path, payload, body)
                assert body["error"]["param"] == param and param in body["error"]["message"]
        status, body = await token_call(root, "PUT", f"/api/users/{alice}/limits", token, [1])
        assert status == 400 and "JSON object" in body["error"]["message"]
        user = await app[SERVICES].store.users.by_id(alice)
        key = await app[SERVICES].store.keys.by_id(key_id)
        assert user is not None and user.limits is None
        assert key is not None and key.limits is None


async def test_unknown_users_keys_and_management_tokens_are_404(tmp_path: Path) -> None:
    async with api_site(tmp_path) as (app, root, token):
        (manage,) = [k for k in await app[SERVICES].store.keys.all() if k.scope == "manage"]
        for path in (
            "/api/users/999/limits",
            "/api/keys/999/limits",
            f"/api/keys/{manage.id}/limits",
        ):
            for method, payload in (("GET", None), ("PUT", {"rpm": 1})):
                status, _ = await token_call(root, method, path, token, payload)
                assert status == 404, (method, path)


async def test_a_user_reads_only_their_own_limits(tmp_path: Path) -> None:
    async with api_site(tmp_path) as (app, root, token):
        alice, alice_key, alice_browser = await member(app, root, "alice")
        bob, bob_key, bob_browser = await member(app, root, "bob")
        await ok(root, "PUT", f"/api/users/{alice}/limits", token, {"tpm": 1000})
        await ok(root, "PUT", f"/api/keys/{alice_key}/limits", token, {"spend_day": "1"})
        await ok(root, "PUT", f"/api/keys/{bob_key}/limits", token, {"rpm": 3})
        status, mine = await alice_browser.api("GET", "/api/me/limits")
        assert status == 200 and mine["user"]["display"] == "1,000 tpm"
        assert [(k["key_id"], k["display"]) for k in mine["keys"]] == [(alice_key, "$1.00/day")]
        status, one = await alice_browser.api("GET", f"/api/me/keys/{alice_key}/limits")
        assert status == 200 and one == mine["keys"][0]
        status, other = await alice_browser.api("GET", f"/api/me/keys/{bob_key}/limits")
        assert status == 404 and "rpm" not in str(other)
        for method, path in (
            ("GET", f"/api/users/{bob}/limits"),
            ("PUT", f"/api/users/{alice}/limits"),
            ("GET", f"/api/keys/{bob_key}/limits"),
            ("PUT", f"/api/keys/{alice_key}/limits"),
        ):
            status, _ = await alice_browser.api(method, path, {} if method == "PUT" else None)
            assert status == 403, (method, path)
        status, _ = await bob_browser.api("PUT", f"/api/keys/{bob_key}/limits", {})
        assert status == 403
        stored = await app[SERVICES].store.keys.by_id(bob_key)
        assert stored is not None and stored.limits == Limits(rpm=3)
        await alice_browser.close()
        await bob_browser.close()


async def test_a_limit_set_through_the_api_binds_the_next_request(tmp_path: Path) -> None:
    async with api_site(tmp_path) as (app, root, token):
        demo = await bootstrap.ensure_demo(app[SERVICES].store, DEFAULT_MODELS)  # has money
        (key,) = [
            k
            for k in await app[SERVICES].store.keys.all()
            if k.name == bootstrap.DEMO_KEY_NAME and k.revoked_at is None
        ]
        assert (await ask(root, demo.key))[0] == 200
        await ok(root, "PUT", f"/api/keys/{key.id}/limits", token, {"rpm": 2})
        statuses = [await ask(root, demo.key) for _ in range(3)]
        assert [s[0] for s in statuses] == [200, 200, 429]
        _, headers, error = statuses[2]
        assert error["error"]["code"] == "rate_limit_exceeded"
        assert "2 requests per minute" in error["error"]["message"]
        assert 1 <= int(headers["Retry-After"]) <= 60

        await ok(root, "PUT", f"/api/keys/{key.id}/limits", token, {})
        assert (await ask(root, demo.key))[0] == 200
        await ok(root, "PUT", f"/api/users/{key.user_id}/limits", token, {"spend_day": "0"})
        status, _, error = await ask(root, demo.key)
        assert status == 429 and error["error"]["code"] == "insufficient_quota"
        assert "daily spend cap" in error["error"]["message"]
        await ok(root, "PUT", f"/api/users/{key.user_id}/limits", token, {})
        assert (await ask(root, demo.key))[0] == 200
