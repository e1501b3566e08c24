"""The management API's money routes against the in-process app: a user's balance, ledger and
redemptions (only ever their own), an admin's top-ups, ledger, prices and code batches, as a
script with a management token and as the dashboard with its session. After every scenario
each balance is its ledger's sum."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from fourk.api.context import SERVICES
from fourk.services.accounts import create_key, create_user
from fourk.store.log_reader import LogQuery
from tests.support.browser_session import BrowserSession, log_in, token_call
from tests.support.dashboard_app import dashboard

PASSWORD = "money api passphrase"


@asynccontextmanager
async def api_site(tmp: Path) -> AsyncIterator[tuple[web.Application, str, str]]:
    """The in-process site; yields (app, root, an admin's management token)."""
    async with dashboard(tmp) as (app, root, password):
        admin = await log_in(root, "admin", password)
        status, body = await admin.api("POST", "/api/tokens", {"name": "money tests"})
        await admin.close()
        assert status == 201, body
        yield app, root, str(body["secret"])
        assert await app[SERVICES].store.ledger.mismatches() == {}


async def member(app: web.Application, root: str, name: str) -> tuple[int, BrowserSession]:
    user, _ = await create_user(app[SERVICES].store, name, password=PASSWORD)
    await app[SERVICES].directory.reload()
    return user.id, await log_in(root, name, PASSWORD)


async def ok(root: str, method: str, path: str, token: str, payload: Any = None) -> Any:
    status, body = await token_call(root, method, path, token, payload)
    assert status < 300, (method, path, status, body)
    return body


async def test_top_ups_and_the_ledger_as_a_script(tmp_path: Path) -> None:
    async with api_site(tmp_path) as (app, root, token):
        alice, browser = await member(app, root, "alice")
        path = f"/api/users/{alice}/balance"
        body = await ok(
            root, "POST", path, token, {"kind": "topup", "amount": "2.50", "reason": "a"}
        )
        assert body == {"user_id": alice, "balance": 2_500_000, "display": "$2.50"}
        body = await ok(
            root, "POST", path, token, {"kind": "deduct", "amount": 500_000, "reason": "b"}
        )
        assert body["balance"] == 2_000_000
        for payload, code in (
            ({"kind": "deduct", "amount": "5", "reason": "c"}, 400),  # never below zero
            ({"kind": "topup", "amount": "1"}, 400),  # a reason is required
            ({"kind": "gift", "amount": "1", "reason": "d"}, 400),
            ({"kind": "topup", "amount": 1.5, "reason": "e"}, 400),  # no floats for money
            ({"kind": "topup", "amount": "1.0000001", "reason": "f"}, 400),
        ):
            status, answer = await token_call(root, "POST", path, token, payload)
            assert status == code, (payload, answer)
        status, _ = await token_call(
            root,
            "POST",
            "/api/users/999/balance",
            token,
            {"kind": "topup", "amount": "1", "reason": "g"},
        )
        assert status == 404

        page = await ok(root, "GET", f"/api/ledger?user_id={alice}&limit=1", token)
        assert [e["kind"] for e in page["data"]] == ["deduct"] and page["next_before"]
        rest = await ok(
            root, "GET", f"/api/ledger?user_id={alice}&before={page['next_before']}", token
        )
        assert [(e["kind"], e["amount"], e["reason"]) for e in rest["data"]] == [
            ("topup", 2_500_000, "a")
        ]
        assert rest["next_before"] is None and rest["data"][0]["actor_id"] is not None
        everyone = await ok(root, "GET", "/api/ledger", token)
        assert {e["user_id"] for e in everyone["data"]} >= {alice}
        assert await app[SERVICES].store.ledger.balance(alice) == 2_000_000
        await browser.close()


async def test_a_user_sees_only_their_own_money(tmp_path: Path) -> None:
    async with api_site(tmp_path) as (app, root, token):
        alice, alice_browser = await member(app, root, "alice")
        bob, bob_browser = await member(app, root, "bob")
        await ok(
            root,
            "POST",
            f"/api/users/{alice}/balance",
            token,
            {"kind": "topup", "amount": "7.77", "reason": "alice only"},
        )
        status, mine = await alice_browser.api("GET", "/api/me/balance")
        assert status == 200 and mine == {
            "user_id": alice,
            "balance": 7_770_000,
            "display": "$7.77",
        }
        status, theirs = await bob_browser.api("GET", "/api/me/balance")
        assert status == 200 and theirs["user_id"] == bob and theirs["balance"] == 0
        status, ledger = await bob_browser.api("GET", "/api/me/ledger?before=999999")
        assert status == 200 and ledger["data"] == []
        status, ledger = await alice_browser.api("GET", "/api/me/ledger")
        assert [e["reason"] for e in ledger["data"]] == ["alice only"]
        for method, path in (
            ("GET", "/api/ledger"),
            ("GET", f"/api/ledger?user_id={alice}"),
            ("POST", f"/api/users/{bob}/balance"),
            ("GET", "/api/prices"),
            ("GET", "/api/redemption-codes"),
        ):
            payload = {"kind": "topup", "amount": "1", "reason": "me"} if method == "POST" else None
            status, _ = await bob_browser.api(method, path, payload)
            assert status == 403, path
        assert await app[SERVICES].store.ledger.balance(bob) == 0
        for browser in (alice_browser, bob_browser):
            await browser.close()


async def test_code_batches_and_redeeming_through_the_api(tmp_path: Path) -> None:
    async with api_site(tmp_path) as (app, root, token):
        made = await ok(
            root,
            "POST",
            "/api/redemption-codes",
            token,
            {"count": 3, "amount": "5", "batch": "api batch"},
        )
        assert made["batch"] == "api batch" and len(made["codes"]) == 3
        past = await ok(root, "POST", "/api/redemption-codes", token, {"amount": 1_000_000})
        async with app[SERVICES].store.engine.begin() as conn:
            await conn.exec_driver_sql(
                "UPDATE redemption_codes SET expires_at = '2000-01-01 00:00:00.000000' "
                "WHERE batch = ?",
                (past["batch"],),
            )
        _, browser = await member(app, root, "alice")
        status, body = await browser.api("POST", "/api/me/redeem", {"code": made["codes"][0]})
        assert status == 200 and body["amount"] == 5_000_000 and body["balance"] == 5_000_000
        for code, (want_status, want_code) in (
            (made["codes"][0], (409, "code_used")),
            (past["codes"][0], (400, "code_expired")),
            ("0000-0000-0000-0000-0000", (400, "code_unknown")),
            ("hello", (400, "code_malformed")),
        ):
            status, body = await browser.api("POST", "/api/me/redeem", {"code": code})
            assert (status, body["error"]["code"]) == (want_status, want_code), code
        status, body = await browser.api("POST", "/api/me/redeem", {})
        assert status == 400 and body["error"]["param"] == "code"

        listing = await ok(root, "GET", "/api/redemption-codes", token)
        batch = next(b for b in listing["data"] if b["batch"] == "api batch")
        assert (batch["count"], batch["redeemed"], batch["amount"]) == (3, 1, 5_000_000)
        one = await ok(root, "GET", "/api/redemption-codes?batch=api%20batch", token)
        assert [c["redeemed_by_name"] for c in one["codes"]] == ["alice", None, None]
        assert not any(code in str(one) for code in made["codes"])  # only digests are kept
        status, body = await token_call(
            root,
            "POST",
            "/api/redemption-codes",
            token,
            {"count": 1, "amount": "5", "batch": "api batch"},
        )
        assert status == 400 and "already a batch" in body["error"]["message"]
        await browser.close()


async def test_racing_redemptions_over_http_pay_once(tmp_path: Path) -> None:
    async with api_site(tmp_path) as (app, root, token):
        (code,) = (await ok(root, "POST", "/api/redemption-codes", token, {"amount": "3"}))["codes"]
        people = [await member(app, root, f"racer{i}") for i in range(6)]
        replies = await asyncio.gather(
            *(browser.api("POST", "/api/me/redeem", {"code": code}) for _, browser in people)
        )
        assert sorted(status for status, _ in replies) == [200] + [409] * 5
        balances = await app[SERVICES].store.ledger.balances()
        assert sorted(balances[uid] for uid, _ in people) == [0] * 5 + [3_000_000]
        for _, browser in people:
            await browser.close()


async def test_prices_set_reset_and_bill_the_next_request(tmp_path: Path) -> None:
    async with api_site(tmp_path) as (app, root, token):
        listing = await ok(root, "GET", "/api/prices", token)
        sim = next(r for r in listing["data"] if r["model"] == "sim-model")
        assert sim["source"] == "default" and sim["served"] and sim["price"] == sim["default"]
        body = await ok(
            root, "PUT", "/api/prices/sim-model", token, {"input": "1000", "output": 3_000_000_000}
        )
        assert body["source"] == "operator"
        assert body["price"] == {
            "input": 1_000_000_000,
            "cached_input": 1_000_000_000,
            "output": 3_000_000_000,
            "cache_write": None,
        }
        user, _ = await create_user(app[SERVICES].store, "payer", initial_credit=50_000_000)
        key = await create_key(app[SERVICES].store, user)
        await app[SERVICES].directory.reload()
        assert app[SERVICES].biller is not None
        await app[SERVICES].biller.refresh()
        async with (
            aiohttp.ClientSession() as plain,
            plain.post(
                root + "/v1/responses",
                json={"model": "sim-model", "input": "hi", "stream": False},
                headers={"Authorization": f"Bearer {key.secret}"},
            ) as reply,
        ):
            assert reply.status == 200, await reply.text()
        page = await app[SERVICES].store.log_reader.page(LogQuery(user_id=user.id, limit=1))
        row = page.rows[0]
        fresh = row.input_tokens - row.cached_tokens
        assert row.cost_input == fresh * 1000 and row.cost_output == row.output_tokens * 3000
        assert (await ok(root, "GET", "/api/prices/sim-model", token))["source"] == "operator"
        assert (await ok(root, "DELETE", "/api/prices/sim-model", token)) == {"deleted": True}
        assert (await ok(root, "DELETE", "/api/prices/sim-model", token)) == {"deleted": False}
        assert (await ok(root, "GET", "/api/prices/sim-model", token))["source"] == "default"
        status, _ = await token_call(root, "GET", "/api/prices/nobody-serves-this", token)
        assert status == 404
        for bad in (
            {"input": "1"},
            {"input": "-1", "output": "1"},
            {"input": "x", "output": "1"},
            {"input": "1", "output": "1", "surprise": 1},
        ):
            status, _ = await token_call(root, "PUT", "/api/prices/sim-model", token, bad)
            assert status == 400, bad


async def test_initial_credit_through_the_settings_api(tmp_path: Path) -> None:
    async with api_site(tmp_path) as (app, root, token):
        body = await ok(root, "PATCH", "/api/settings", token, {"initial_credit": "1.50"})
        assert body["initial_credit"] == 1_500_000
        body = await ok(root, "PATCH", "/api/settings", token, {"initial_credit": 2_000_000})
        assert body["initial_credit"] == 2_000_000 == app[SERVICES].directory.site.initial_credit
        for bad in ("-1", "lots", True, 1.5):
            status, _ = await token_call(
                root, "PATCH", "/api/settings", token, {"initial_credit": bad}
            )
            assert status == 400, bad
