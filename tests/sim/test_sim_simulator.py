"""The simulator without HTTP: faults and pacing as an in-process provider sees them."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from fourk.sim import (
    CutFault,
    DelayHeadersFault,
    FailedFault,
    FaultQueue,
    MalformedFault,
    NoCompletedFault,
    SimConnectionCut,
    SimHTTPError,
    SimOptions,
    Simulator,
    StallFault,
    StatusFault,
    stream_response,
)
from fourk.sim.ids import CountingIds

BODY: dict[str, Any] = {"model": "gpt-5-codex", "stream": True, "input": "hello simulator"}
NORMAL_TYPES = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    *["response.output_text.delta"] * 4,
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
]


class Timeline:
    """A fake sleep that records each wait between the chunks it sees."""

    def __init__(self) -> None:
        self.log: list[object] = []

    async def sleep(self, seconds: float) -> None:
        self.log.append(("sleep", seconds))

    async def drain(self, chunks: Any) -> list[bytes]:
        out = []
        async for chunk in chunks:
            self.log.append("event")
            out.append(chunk)
        return out


def simulator(timeline: Timeline, **options: Any) -> Simulator:
    """A simulator writing one event per chunk unless told to coalesce."""
    options.setdefault("coalesce", False)
    return Simulator(
        SimOptions(chunks=4, **options),
        new_id=CountingIds(),
        clock=lambda: 1000.0,
        sleep=timeline.sleep,
    )


def events_of(chunks: list[bytes], decode_sse: Any) -> list[dict[str, Any]]:
    return decode_sse(b"".join(chunks))  # type: ignore[no-any-return]


async def test_stream_response_yields_whole_events(decode_sse: Any) -> None:
    options = SimOptions(chunks=4, coalesce=False)
    chunks = [chunk async for chunk in stream_response(BODY, options)]
    assert all(chunk.endswith(b"\n\n") for chunk in chunks)
    events = decode_sse(b"".join(chunks))
    assert len(chunks) == len(events)
    assert [event["type"] for event in events] == NORMAL_TYPES


async def test_unpaced_events_are_coalesced_into_one_chunk(decode_sse: Any) -> None:
    chunks = [chunk async for chunk in stream_response(BODY, SimOptions(chunks=4))]
    assert len(chunks) == 1
    assert [event["type"] for event in decode_sse(chunks[0])] == NORMAL_TYPES


async def test_coalescing_flushes_before_pauses_and_cuts(decode_sse: Any) -> None:
    timeline = Timeline()
    sim = simulator(timeline, coalesce=True)
    sim.faults.add(StallFault(after=3, seconds=1.0), CutFault(after=5))
    reply = await sim.respond(BODY)
    chunks = await timeline.drain(reply.body)
    assert timeline.log == ["event", ("sleep", 1.0), "event"]
    assert len(decode_sse(chunks[0])) == 3
    assert decode_sse(chunks[1])[-1]["type"] == "response.completed"

    timeline.log.clear()
    reply = await sim.respond(BODY)
    received: list[bytes] = []
    with pytest.raises(SimConnectionCut):
        async for chunk in reply.body:  # type: ignore[union-attr]
            received.append(chunk)
    assert len(received) == 1
    assert len(decode_sse(received[0])) == 5


async def test_coalescing_is_bounded(decode_sse: Any) -> None:
    body = {**BODY, "input": "x" * 150}
    options = SimOptions(chunks=2000)
    chunks = [chunk async for chunk in stream_response(body, options)]
    assert len(chunks) > 1
    assert all(len(chunk) < 40 * 1024 for chunk in chunks)
    assert all(chunk.endswith(b"\n\n") for chunk in chunks)
    deltas = [e for e in decode_sse(b"".join(chunks)) if e["type"].endswith("text.delta")]
    assert len(deltas) == 2000


async def test_stream_response_raises_for_status_fault() -> None:
    faults = FaultQueue()
    faults.add(StatusFault(429, retry_after=2))
    with pytest.raises(SimHTTPError) as caught:
        async for _ in stream_response(BODY, SimOptions(), faults):
            pass
    assert caught.value.status == 429
    assert caught.value.headers["retry-after"] == "2"
    assert orjson.loads(caught.value.body)["error"]["type"] == "server_error"


async def test_pacing_sleeps_ttft_then_gaps_between_events() -> None:
    timeline = Timeline()
    sim = simulator(timeline, ttft_ms=250, gap_ms=10)
    reply = await sim.respond(BODY)
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/event-stream")
    await timeline.drain(reply.body)
    assert timeline.log[0] == ("sleep", 0.25)
    assert timeline.log[1] == "event"
    rest = timeline.log[2:]
    assert rest == [("sleep", 0.01), "event"] * (len(NORMAL_TYPES) - 1)


async def test_header_overrides_pacing() -> None:
    timeline = Timeline()
    sim = simulator(timeline)
    headers = {"x-sim-ttft-ms": "100", "x-sim-gap-ms": "0", "x-sim-chunks": "2"}
    reply = await sim.respond(BODY, headers=headers)
    chunks = await timeline.drain(reply.body)
    assert timeline.log[0] == ("sleep", 0.1)
    assert timeline.log.count(("sleep", 0.1)) == 1
    assert sum(b"output_text.delta" in chunk for chunk in chunks) == 2


@pytest.mark.parametrize(
    "headers",
    [
        {"x-sim-chunks": "0"},
        {"x-sim-chunks": "many"},
        {"x-sim-gap-ms": "-1"},
        {"x-sim-ttft-ms": "nan"},
        {"x-sim-persona": "poet"},
    ],
)
async def test_bad_pacing_header_is_a_400(headers: dict[str, str]) -> None:
    reply = await simulator(Timeline()).respond(BODY, headers=headers)
    assert reply.status == 400
    assert isinstance(reply.body, bytes)
    assert orjson.loads(reply.body)["error"]["type"] == "invalid_request_error"


async def test_missing_model_is_a_400() -> None:
    reply = await simulator(Timeline()).respond({"input": "hi"})
    assert reply.status == 400
    assert isinstance(reply.body, bytes)
    assert "model" in orjson.loads(reply.body)["error"]["message"]


async def test_stall_waits_after_n_events_then_carries_on() -> None:
    timeline = Timeline()
    sim = simulator(timeline)
    sim.faults.add(StallFault(after=3, seconds=7.5))
    reply = await sim.respond(BODY)
    chunks = await timeline.drain(reply.body)
    assert timeline.log[:5] == ["event", "event", "event", ("sleep", 7.5), "event"]
    assert b"response.completed" in chunks[-1]


async def test_stall_at_zero_waits_before_the_first_event() -> None:
    timeline = Timeline()
    sim = simulator(timeline)
    sim.faults.add(StallFault())
    reply = await sim.respond(BODY)
    await timeline.drain(reply.body)
    assert timeline.log[0] == ("sleep", 3600.0)


async def test_cut_raises_after_n_events() -> None:
    timeline = Timeline()
    sim = simulator(timeline)
    sim.faults.add(CutFault(after=4))
    reply = await sim.respond(BODY)
    with pytest.raises(SimConnectionCut):
        await timeline.drain(reply.body)
    assert timeline.log == ["event"] * 4


async def test_cut_beyond_the_end_drops_after_completed() -> None:
    timeline = Timeline()
    sim = simulator(timeline)
    sim.faults.add(CutFault(after=1000))
    reply = await sim.respond(BODY)
    with pytest.raises(SimConnectionCut):
        await timeline.drain(reply.body)
    assert timeline.log == ["event"] * len(NORMAL_TYPES)


async def test_malformed_inserts_bad_data_and_continues(decode_sse: Any) -> None:
    timeline = Timeline()
    sim = simulator(timeline)
    sim.faults.add(MalformedFault(after=2))
    reply = await sim.respond(BODY)
    chunks = await timeline.drain(reply.body)
    assert chunks[2] == b"data: {not json\n\n"
    good = chunks[:2] + chunks[3:]
    assert [event["type"] for event in decode_sse(b"".join(good))] == NORMAL_TYPES


async def test_no_completed_ends_without_completed(decode_sse: Any) -> None:
    timeline = Timeline()
    sim = simulator(timeline)
    sim.faults.add(NoCompletedFault())
    reply = await sim.respond(BODY)
    events = decode_sse(b"".join(await timeline.drain(reply.body)))
    assert [event["type"] for event in events] == NORMAL_TYPES[:-1]


async def test_failed_sends_created_then_failed(decode_sse: Any) -> None:
    timeline = Timeline()
    sim = simulator(timeline)
    sim.faults.add(FailedFault(code="context_length_exceeded", message="too long"))
    reply = await sim.respond(BODY)
    events = decode_sse(b"".join(await timeline.drain(reply.body)))
    assert [event["type"] for event in events] == ["response.created", "response.failed"]
    assert events[1]["response"]["error"] == {
        "code": "context_length_exceeded",
        "message": "too long",
    }


async def test_delay_headers_waits_before_answering() -> None:
    timeline = Timeline()
    sim = simulator(timeline)
    sim.faults.add(DelayHeadersFault(2.0))
    reply = await sim.respond(BODY)
    assert timeline.log == [("sleep", 2.0)]
    await timeline.drain(reply.body)
    assert timeline.log.count("event") == len(NORMAL_TYPES)


async def test_fault_only_hits_its_model_and_is_consumed() -> None:
    timeline = Timeline()
    sim = simulator(timeline)
    sim.faults.add(StatusFault(503, model="other-model"))
    assert (await sim.respond(BODY)).status == 200
    other = {**BODY, "model": "other-model"}
    assert (await sim.respond(other)).status == 503
    assert (await sim.respond(other)).status == 200


async def test_non_streaming_answer_and_its_faults() -> None:
    timeline = Timeline()
    sim = simulator(timeline, cached_tokens=2)
    body = {**BODY, "stream": False}
    reply = await sim.respond(body, request_size=400)
    assert reply.status == 200
    assert isinstance(reply.body, bytes)
    response = orjson.loads(reply.body)
    assert response["status"] == "completed"
    assert response["output"][0]["content"][0]["text"] == "You said: hello simulator"
    assert response["usage"]["input_tokens"] == 100
    assert response["usage"]["input_tokens_details"] == {"cached_tokens": 2}

    sim.faults.add(FailedFault(code="server_error", message="boom"))
    failed = await sim.respond(body)
    assert failed.status == 500
    assert isinstance(failed.body, bytes)
    assert orjson.loads(failed.body)["error"]["message"] == "boom"

    sim.faults.add(MalformedFault())
    malformed = await sim.respond(body)
    assert isinstance(malformed.body, bytes)
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(malformed.body)

    sim.faults.add(CutFault())
    with pytest.raises(SimConnectionCut):
        await sim.respond(body)


async def test_persona_header_switches_persona(decode_sse: Any) -> None:
    timeline = Timeline()
    reply = await simulator(timeline).respond(BODY, headers={"x-sim-persona": "reasoner"})
    events = decode_sse(b"".join(await timeline.drain(reply.body)))
    output = events[-1]["response"]["output"]
    assert [item["type"] for item in output] == ["reasoning", "message"]
    assert events[-1]["response"]["usage"]["output_tokens_details"]["reasoning_tokens"] > 0


@pytest.mark.parametrize(
    "bad",
    [{"chunks": 0}, {"ttft_ms": -1}, {"gap_ms": -5}, {"record_limit": -1}, {"persona": "x"}],
)
def test_options_are_checked(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        SimOptions(**bad)
