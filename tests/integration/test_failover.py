"""Several channels for one model: order, failover before the first byte, never after."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import orjson
import pytest

from tests.conftest import make_gateway
from tests.integration.test_relay import body, events, post
from tests.support.processes import Gateway, Proc, sim_control, sim_requests, start_sim

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """fourk with two simulators: sim0 at priority 10, sim1 at priority 0; short timeouts."""
    tmp = tmp_path_factory.mktemp("pair")
    sims = [start_sim(tmp), start_sim(tmp)]
    gateway = make_gateway(
        tmp,
        sims,
        env={
            "FOURK_FIRST_BYTE_TIMEOUT": "1",
            "FOURK_IDLE_TIMEOUT": "1",
            "FOURK_CHANNEL_COOLDOWN": "0.5",
            "FOURK_MAX_BODY_BYTES": "100000",
        },
        channel_args=[["--priority", "10"], ["--priority", "0"]],
    )
    yield gateway
    gateway.server.stop()
    for sim in sims:
        sim.stop()


@pytest.fixture(autouse=True)
def _reset(pair: Gateway) -> None:
    time.sleep(1.05)  # let every cool-down (0.5 s, or a 1 s Retry-After) run out
    for sim in pair.sims:
        sim_control(sim, "DELETE", "/_sim/faults")
        sim_control(sim, "DELETE", "/_sim/requests")


def served(sim: Proc) -> int:
    return len(sim_requests(sim))


async def test_higher_priority_channel_serves(pair: Gateway) -> None:
    for _ in range(3):
        status, _, _ = await post(pair, body("prio"))
        assert status == 200
    assert served(pair.sims[0]) == 3 and served(pair.sims[1]) == 0


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "status", "status": 503},
        {"kind": "status", "status": 429, "retry_after": 1},
        {"kind": "status", "status": 401},
        {"kind": "delay_headers", "seconds": 3},
        {"kind": "stall", "after": 0, "seconds": 3},
    ],
)
async def test_failover_before_the_first_byte(pair: Gateway, fault: dict[str, object]) -> None:
    sim_control(pair.sims[0], "POST", "/_sim/faults", {"faults": [fault]})
    status, _, raw = await post(pair, body("failover"))
    assert status == 200
    assert events(raw)[-1]["type"] == "response.completed"
    assert served(pair.sims[1]) == 1
    row = pair.logs()[-1]
    assert row["attempts"] == 2 and row["status"] == 200
    # the failed channel cools down: the next request goes straight to the healthy one
    status, _, _ = await post(pair, body("after cooldown"))
    assert status == 200 and served(pair.sims[1]) == 2


async def test_no_failover_after_the_first_byte(pair: Gateway) -> None:
    sim_control(pair.sims[0], "POST", "/_sim/faults", {"faults": [{"kind": "cut", "after": 2}]})
    status, _, raw = await post(pair, body("late failure"))
    assert status == 200
    assert events(raw)[-1]["type"] == "response.failed"
    assert served(pair.sims[1]) == 0


async def test_idle_upstream_mid_stream_becomes_response_failed(pair: Gateway) -> None:
    sim_control(
        pair.sims[0],
        "POST",
        "/_sim/faults",
        {"faults": [{"kind": "stall", "after": 3, "seconds": 5}]},
    )
    _, _, raw = await post(pair, body("idle"))
    last = events(raw)[-1]
    assert last["type"] == "response.failed"
    assert last["response"]["error"]["code"] == "upstream_timeout"  # type: ignore[index]


async def test_all_channels_down_is_502_and_timeouts_504(pair: Gateway) -> None:
    for sim in pair.sims:
        sim_control(sim, "POST", "/_sim/faults", {"faults": [{"kind": "status", "status": 500}]})
    status, _, raw = await post(pair, body("all down"))
    assert status == 502
    assert "tried 2 channel(s)" in orjson.loads(raw)["error"]["message"]
    for sim in pair.sims:
        sim_control(
            sim, "POST", "/_sim/faults", {"faults": [{"kind": "delay_headers", "seconds": 3}]}
        )
    status, _, _ = await post(pair, body("all slow"))
    assert status == 504


async def test_disabled_channel_gets_no_traffic(pair: Gateway) -> None:
    pair.cli("channel", "disable", "sim0")
    try:
        await asyncio.sleep(1.0)
        status, _, _ = await post(pair, body("disabled"))
        assert status == 200
        assert served(pair.sims[0]) == 0 and served(pair.sims[1]) == 1
    finally:
        pair.cli("channel", "enable", "sim0")
        await asyncio.sleep(1.0)


async def test_oversized_body_is_413(pair: Gateway) -> None:
    status, _, raw = await post(pair, body("x" * 200_000))
    assert status == 413
    assert "100000 bytes" in orjson.loads(raw)["error"]["message"]
    assert served(pair.sims[0]) == 0
