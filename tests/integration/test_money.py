"""Money with real processes: no overdraft under concurrency, charges that match the log,
estimated charges for broken streams, limits that answer the way Codex expects."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator

import aiohttp
import orjson
import pytest

from fourk.billing.default_prices import DEFAULT_PRICES
from fourk.billing.estimate import input_tokens_from_body
from fourk.billing.pricing import reservation
from tests.conftest import make_gateway
from tests.integration.test_relay import body
from tests.support.processes import Gateway, fourk_cli, sim_control, start_sim


@pytest.fixture(scope="module")
def money(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("money")
    sim = start_sim(tmp)
    gateway = make_gateway(tmp, [sim])
    yield gateway
    gateway.server.stop()
    sim.stop()


def db(gateway: Gateway) -> sqlite3.Connection:
    return sqlite3.connect(gateway.data_dir / "fourk.db")


def ledger_agrees(gateway: Gateway) -> None:
    """Every balance is its ledger's sum, and no balance is below zero."""
    with db(gateway) as conn:
        rows = conn.execute(
            "SELECT u.username, u.balance, COALESCE(SUM(l.amount), 0) FROM users u "
            "LEFT JOIN ledger l ON l.user_id = u.id GROUP BY u.id"
        ).fetchall()
    for name, balance, total in rows:
        assert balance == total, f"{name}: balance {balance} != ledger {total}"
        assert balance >= 0, f"{name} is overdrawn: {balance}"


def new_user(gateway: Gateway, name: str, dollars: str | None) -> str:
    fourk_cli(gateway.data_dir, "user", "create", name)
    if dollars is not None:
        fourk_cli(gateway.data_dir, "user", "topup", name, dollars, "--reason", "test money")
    return fourk_cli(gateway.data_dir, "key", "create", "--user", name).stdout.strip()


async def post(
    session: aiohttp.ClientSession, gateway: Gateway, key: str, raw: bytes, **headers: str
) -> tuple[int, bytes, aiohttp.typedefs.LooseHeaders]:
    async with session.post(
        gateway.url + "/v1/responses",
        data=raw,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json", **headers},
    ) as response:
        return response.status, await response.read(), dict(response.headers)


async def test_a_balance_for_fifty_admits_at_most_fifty_of_a_hundred(money: Gateway) -> None:
    raw = orjson.dumps(body("spend it", model="sim-model", stream=True, max_output_tokens=1000))
    each = reservation(input_tokens_from_body(len(raw)), 1000, DEFAULT_PRICES["sim-model"])
    micro = 50 * each
    key = new_user(money, "bob", f"{micro // 1_000_000}.{micro % 1_000_000:06d}")
    async with aiohttp.ClientSession() as session:
        results = await asyncio.gather(
            *(post(session, money, key, raw, **{"x-sim-ttft-ms": "1500"}) for _ in range(100))
        )
    ok = [r for r in results if r[0] == 200]
    refused = [r for r in results if r[0] == 429]
    assert 40 <= len(ok) <= 50 and len(ok) + len(refused) == 100
    for _, text, headers in refused:
        error = orjson.loads(text)["error"]
        assert error["code"] == "insufficient_quota" and "/billing" in error["message"]
        assert "Retry-After" not in headers  # Codex must not retry a hard quota
    ledger_agrees(money)
    with db(money) as conn:
        charges = conn.execute(
            "SELECT COUNT(*), SUM(-amount) FROM ledger l JOIN users u ON u.id = l.user_id "
            "WHERE u.username = 'bob' AND kind = 'charge'"
        ).fetchone()
        logged = conn.execute(
            "SELECT COUNT(*), SUM(cost) FROM request_logs r JOIN users u ON u.id = r.user_id "
            "WHERE u.username = 'bob' AND r.status = 200"
        ).fetchone()
    assert charges == logged and charges[0] == len(ok)  # each success charged once


async def test_no_money_no_request_and_a_top_up_works_at_once(money: Gateway) -> None:
    key = new_user(money, "carl", None)
    raw = orjson.dumps(body("hello", model="sim-model", stream=False))
    async with aiohttp.ClientSession() as session:
        status, text, _ = await post(session, money, key, raw)
        assert status == 429 and orjson.loads(text)["error"]["code"] == "insufficient_quota"
        assert "$0.00" in orjson.loads(text)["error"]["message"]
        fourk_cli(money.data_dir, "user", "topup", "carl", "1", "--reason", "first top-up")
        status, text, _ = await post(session, money, key, raw)  # no wait for the poll
        assert status == 200, text
    ledger_agrees(money)


async def test_a_stream_cut_short_is_billed_from_what_streamed(money: Gateway) -> None:
    key = new_user(money, "dora", "5")
    sim = money.sims[0]
    sim_control(sim, "POST", "/_sim/faults", {"faults": [{"kind": "cut", "after": 6}]})
    raw = orjson.dumps(body("x " * 400, model="sim-model", stream=True))
    async with aiohttp.ClientSession() as session:
        status, text, _ = await post(session, money, key, raw, **{"x-sim-chunks": "20"})
    assert status == 200 and b"response.failed" in text
    with db(money) as conn:
        row = conn.execute(
            "SELECT cost, usage_estimated, input_tokens, output_tokens, error_code "
            "FROM request_logs r JOIN users u ON u.id = r.user_id WHERE u.username = 'dora'"
        ).fetchone()
    cost, estimated, input_tokens, output_tokens, error_code = row
    assert error_code == "upstream_incomplete" and estimated == 1
    assert input_tokens == input_tokens_from_body(len(raw)) and cost > 0
    assert output_tokens > 0  # the deltas that did stream
    ledger_agrees(money)


async def test_rate_limit_answers_retry_after_and_spend_cap_answers_quota(
    money: Gateway,
) -> None:
    key = new_user(money, "erin", "5")
    fourk_cli(money.data_dir, "key", "limits", key, "--rpm", "3")
    raw = orjson.dumps(body("hi", model="sim-model", stream=False))
    await asyncio.sleep(1.0)  # the server sees the new limit on its next poll
    async with aiohttp.ClientSession() as session:
        statuses = [(await post(session, money, key, raw))[:3] for _ in range(4)]
        assert [s[0] for s in statuses] == [200, 200, 200, 429]
        error = orjson.loads(statuses[3][1])["error"]
        assert (
            error["code"] == "rate_limit_exceeded" and "3 requests per minute" in error["message"]
        )
        assert 1 <= int(statuses[3][2]["Retry-After"]) <= 20
        fourk_cli(money.data_dir, "key", "limits", key, "--clear", "--spend-day", "0.000001")
        await asyncio.sleep(1.0)
        status, text, _ = await post(session, money, key, raw)
        assert status == 429 and orjson.loads(text)["error"]["code"] == "insufficient_quota"
        assert "daily spend cap" in orjson.loads(text)["error"]["message"]
    ledger_agrees(money)


async def test_the_sim_answer_is_charged_at_the_listed_price(money: Gateway) -> None:
    key = new_user(money, "fred", "5")
    raw = orjson.dumps(body("price me", model="gpt-5-codex", stream=True))
    async with aiohttp.ClientSession() as session:
        status, _, _ = await post(session, money, key, raw)
    assert status == 200
    with db(money) as conn:
        row = conn.execute(
            "SELECT input_tokens, cached_tokens, output_tokens, cost, cost_input, "
            "cost_cached_input, cost_output, usage_estimated FROM request_logs r "
            "JOIN users u ON u.id = r.user_id WHERE u.username = 'fred'"
        ).fetchone()
    inp, cached, out, cost, c_in, c_cached, c_out, estimated = row
    price = DEFAULT_PRICES["gpt-5-codex"]
    assert estimated == 0 and inp > 0 and out > 0
    assert c_in == -(-(inp - cached) * price.input // 1_000_000)
    assert c_cached == -(-cached * price.cached_input // 1_000_000)
    assert c_out == -(-out * price.output // 1_000_000)
    assert cost == c_in + c_cached + c_out
    ledger_agrees(money)


def test_user_list_shows_balances(money: Gateway) -> None:
    listing = fourk_cli(money.data_dir, "user", "list").stdout.splitlines()
    alice = next(line.split("\t") for line in listing if line.split("\t")[1] == "alice")
    assert alice[-1].startswith("$") and float(alice[-1][1:]) > 900
