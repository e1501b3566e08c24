"""The real Codex CLI 0.171, configured exactly as the setup page says, through fourk."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import orjson
import pytest

from fourk.accounts.keys import mint_key
from tests.support.codex import codex_available, run_codex, write_codex_home
from tests.support.processes import Gateway, Proc, sim_control, sim_requests

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not codex_available(), reason="run `npm ci --prefix tests` first"),
]


def test_codex_runs_a_command_through_fourk(gateway: Gateway, sim: Proc, tmp_path: Path) -> None:
    before = len(gateway.logs())
    home = tmp_path / "codex-home"
    write_codex_home(home, gateway.url, gateway.key)
    run = run_codex(home, tmp_path / "work", "run: echo gateway-ok-4096")
    assert run.returncode == 0, run.stderr
    commands = [
        e["item"]
        for e in run.events
        if e.get("type") == "item.completed" and e["item"].get("type") == "command_execution"
    ]  # type: ignore[union-attr]
    assert commands and "gateway-ok-4096" in commands[0]["aggregated_output"]  # type: ignore[index]
    # the second request carried the command's output back, and the model quoted it
    upstream = sim_requests(sim)
    assert len(upstream) == 2
    last_item = upstream[1]["body"]["input"][-1]  # type: ignore[index]
    assert last_item["type"] == "function_call_output"
    assert "gateway-ok-4096" in last_item["output"]
    messages = run.messages
    assert messages and "gateway-ok-4096" in messages[-1]
    rows = gateway.logs()[before:]
    assert len(rows) == 2
    for row in rows:
        assert row["status"] == 200 and row["error_code"] is None
        assert row["client"] == "codex_exec" and row["client_version"] == "0.171.0"
        assert row["input_tokens"] > 1000 and row["output_tokens"] > 0  # type: ignore[operator]


def test_codex_with_a_bad_key_shows_our_401_message(gateway: Gateway, tmp_path: Path) -> None:
    home = tmp_path / "codex-home"
    write_codex_home(home, gateway.url, gateway.key[:-3])
    before = len(gateway.logs())
    run = run_codex(home, tmp_path / "work", "say hi")
    assert run.returncode != 0
    assert "401 Unauthorized" in run.text and "looks truncated" in run.text
    assert gateway.key[:-3] not in run.text
    assert len(gateway.logs()) == before  # refused at the door, nothing relayed


def test_codex_with_an_unknown_key(gateway: Gateway, tmp_path: Path) -> None:
    home = tmp_path / "codex-home"
    write_codex_home(home, gateway.url, mint_key())
    run = run_codex(home, tmp_path / "work", "say hi")
    assert run.returncode != 0 and "not known to this service" in run.text


def test_codex_with_an_unknown_model_fails_after_one_attempt(
    gateway: Gateway, sim: Proc, tmp_path: Path
) -> None:
    home = tmp_path / "codex-home"
    write_codex_home(home, gateway.url, gateway.key, model="gpt-5-codec")
    before = len(gateway.logs())
    started = time.monotonic()
    run = run_codex(home, tmp_path / "work", "say hi")
    assert run.returncode != 0
    assert "The model 'gpt-5-codec' does not exist here" in run.text
    assert "gpt-5-codex, sim-model" in run.text
    rows = gateway.logs()[before:]
    assert len(rows) == 1 and rows[0]["error_code"] == "model_not_found"
    assert time.monotonic() - started < 20
    assert sim_requests(sim) == []


def test_codex_recovers_from_an_upstream_503(gateway: Gateway, sim: Proc, tmp_path: Path) -> None:
    sim_control(sim, "POST", "/_sim/faults", {"faults": [{"kind": "status", "status": 503}]})
    home = tmp_path / "codex-home"
    write_codex_home(home, gateway.url, gateway.key)
    before = len(gateway.logs())
    run = run_codex(home, tmp_path / "work", "say recovered")
    assert run.returncode == 0, run.stderr
    messages = run.messages
    assert messages and "recovered" in messages[-1]
    statuses = [row["status"] for row in gateway.logs()[before:]]
    assert statuses == [502, 200]


def test_codex_recovers_from_a_stream_cut_mid_response(
    gateway: Gateway, sim: Proc, tmp_path: Path
) -> None:
    sim_control(sim, "POST", "/_sim/faults", {"faults": [{"kind": "cut", "after": 4}]})
    home = tmp_path / "codex-home"
    write_codex_home(home, gateway.url, gateway.key)
    before = len(gateway.logs())
    run = run_codex(home, tmp_path / "work", "say again")
    assert run.returncode == 0, run.stderr
    codes = [row["error_code"] for row in gateway.logs()[before:]]
    assert codes == ["upstream_incomplete", None]


def _new_key(gateway: Gateway, name: str, dollars: str | None) -> tuple[str, int]:
    gateway.cli("user", "create", name)
    if dollars is not None:
        gateway.cli("user", "topup", name, dollars, "--reason", "e2e")
    key = gateway.cli("key", "create", "--user", name).stdout.strip()
    user_id = int(gateway.cli("user", "list").stdout.split(f"\t{name}\t")[0].split("\n")[-1])
    return key, user_id


def test_codex_with_no_money_stops_after_one_attempt_with_our_message(
    gateway: Gateway, tmp_path: Path
) -> None:
    key, user_id = _new_key(gateway, "broke", None)
    home = tmp_path / "codex-home"
    write_codex_home(home, gateway.url, key)
    started = time.monotonic()
    run = run_codex(home, tmp_path / "work", "say hi")
    assert run.returncode != 0
    assert "Quota exceeded" in run.text  # Codex's words for insufficient_quota: no retry
    rows = [r for r in gateway.logs() if r["user_id"] == user_id]
    assert len(rows) == 1 and rows[0]["status"] == 429
    assert rows[0]["error_code"] == "insufficient_quota"
    assert time.monotonic() - started < 20


def test_codex_over_its_rpm_waits_for_retry_after_then_succeeds(
    gateway: Gateway, tmp_path: Path
) -> None:
    key, user_id = _new_key(gateway, "hasty", "5")
    gateway.cli("key", "limits", key, "--rpm", "30")  # a burst of 30, then one per 2 s
    time.sleep(1.0)  # the server picks the limit up on its next poll
    burst = orjson.dumps({"model": "sim-model", "input": "burn", "stream": False})
    for _ in range(30):  # use the whole burst up
        post = urllib.request.Request(
            gateway.url + "/v1/responses",
            data=burst,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(post, timeout=10) as answer:
            assert answer.status == 200
    home = tmp_path / "codex-home"
    write_codex_home(home, gateway.url, key)
    run = run_codex(home, tmp_path / "work", "say hi after waiting")
    assert run.returncode == 0, run.text
    assert run.messages and "say hi after waiting" in run.messages[-1]
    rows = [r for r in gateway.logs() if r["user_id"] == user_id][30:]
    statuses = [r["status"] for r in rows]
    assert 429 in statuses and statuses[-1] == 200  # refused with Retry-After, then let in
    assert all(r["error_code"] in (None, "rate_limit_exceeded") for r in rows)
