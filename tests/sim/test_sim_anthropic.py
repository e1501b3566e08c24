"""The simulator as an Anthropic Messages upstream: wire shape, the SDK, faults."""

from __future__ import annotations

from typing import Any

import aiohttp
import anthropic
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fourk.sim import (
    Answer,
    AnthropicEventStream,
    FunctionCall,
    Reasoning,
    SimOptions,
    Simulator,
    TextMessage,
)
from fourk.sim.ids import CountingIds
from fourk.sim.persona import reasoning_blob
from fourk.sim.usage import SimUsage

EXEC_TOOL = {
    "name": "exec_command",
    "description": "run a command",
    "input_schema": {
        "type": "object",
        "properties": {"cmd": {"type": "string"}},
        "required": ["cmd"],
    },
}
BODY: dict[str, Any] = {
    "model": "claude-sim",
    "max_tokens": 1024,
    "stream": True,
    "messages": [{"role": "user", "content": "run: ls"}],
}
THOUGHT = "Thinking about run: ls."


def anthropic_events(raw: bytes) -> list[dict[str, Any]]:
    """Each event's payload; checks the `event:` line names the payload's type."""
    events = []
    for block in raw.split(b"\n\n"):
        if not block:
            continue
        name, data = block.split(b"\n")
        assert name.startswith(b"event: ")
        assert data.startswith(b"data: ")
        payload = orjson.loads(data[6:])
        assert payload["type"] == name[7:].decode()
        events.append(payload)
    return events


def fixed_sim(**options: Any) -> Simulator:
    return Simulator(SimOptions(**options), new_id=CountingIds(), clock=lambda: 1000.0)


async def drain(reply: Any) -> bytes:
    assert not isinstance(reply.body, bytes), reply.body
    return b"".join([chunk async for chunk in reply.body])


def client_for(server: Any, **kwargs: Any) -> anthropic.AsyncAnthropic:
    kwargs.setdefault("api_key", "sk-test")
    return anthropic.AsyncAnthropic(base_url=server.url, max_retries=0, **kwargs)


async def post_faults(server: Any, *faults: dict[str, Any]) -> None:
    async with aiohttp.ClientSession() as session:
        response = await session.post(server.url + "/_sim/faults", json={"faults": list(faults)})
        assert response.status == 200


async def test_golden_stream() -> None:
    sim = fixed_sim(chunks=2, persona="reasoner", cached_tokens=5)
    reply = await sim.respond(BODY, request_size=400, protocol="anthropic")
    assert reply.headers["content-type"].startswith("text/event-stream")
    message = {
        "id": "msg_0003",
        "type": "message",
        "role": "assistant",
        "model": "claude-sim",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {
            "input_tokens": 95,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 5,
            "output_tokens": 1,
        },
    }
    tool_start = {"type": "tool_use", "id": "toolu_0001", "name": "exec_command", "input": {}}
    assert anthropic_events(await drain(reply)) == [
        {"type": "message_start", "message": message},
        {"type": "ping"},
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "thinking", "thinking": "", "signature": ""},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "Thinking abo"},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "ut run: ls."},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "signature_delta", "signature": reasoning_blob(THOUGHT)},
        },
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1, "content_block": tool_start},
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": '{"cmd"'},
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": ':"ls"}'},
        },
        {"type": "content_block_stop", "index": 1},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": None},
            "usage": {"output_tokens": 11},
        },
        {"type": "message_stop"},
    ]


async def test_golden_message() -> None:
    body = {**BODY, "stream": False, "messages": [{"role": "user", "content": "hello"}]}
    sim = fixed_sim(persona="reasoner")
    reply = await sim.respond(body, request_size=400, protocol="anthropic")
    assert reply.status == 200
    assert isinstance(reply.body, bytes)
    thought = "Thinking about hello."
    assert orjson.loads(reply.body) == {
        "id": "msg_0001",
        "type": "message",
        "role": "assistant",
        "model": "claude-sim",
        "content": [
            {"type": "thinking", "thinking": thought, "signature": reasoning_blob(thought)},
            {"type": "text", "text": "You said: hello"},
        ],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 100,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 9,
        },
    }


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(max_size=80),
    summary=st.text(min_size=1, max_size=40),
    command=st.text(max_size=40),
    chunks=st.integers(min_value=1, max_value=50),
)
def test_deltas_add_up_to_the_blocks(text: str, summary: str, command: str, chunks: int) -> None:
    arguments = orjson.dumps({"cmd": command}).decode()
    items = (
        Reasoning(summary, "sig"),
        TextMessage(text),
        FunctionCall("exec_command", arguments, "toolu_a"),
    )
    answer = Answer("m", 1, items, SimUsage(10, 4, 5, 1))
    stream = AnthropicEventStream(answer, CountingIds(), chunks)
    events = anthropic_events(b"".join(stream.events()))
    blocks: dict[int, dict[str, Any]] = {}
    for event in events:
        if event["type"] == "content_block_start":
            blocks[event["index"]] = {**event["content_block"], "json": ""}
        elif event["type"] == "content_block_delta":
            block, delta = blocks[event["index"]], event["delta"]
            kind = delta["type"]
            if kind == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif kind == "signature_delta":
                block["signature"] = delta["signature"]
            elif kind == "text_delta":
                block["text"] += delta["text"]
            else:
                block["json"] += delta["partial_json"]
    assert blocks[0] == {"type": "thinking", "thinking": summary, "signature": "sig", "json": ""}
    assert blocks[1] == {"type": "text", "text": text, "json": ""}
    assert orjson.loads(blocks[2]["json"]) == {"cmd": command}
    assert [e["type"] for e in events[-2:]] == ["message_delta", "message_stop"]
    assert events[0]["message"]["usage"]["input_tokens"] == 6  # 10 in all, 4 cached


async def test_sdk_stream_with_tools_and_thinking(make_sim: Any) -> None:
    server = await make_sim(SimOptions(chunks=3, cached_tokens=7))
    client = client_for(server)
    async with client.messages.stream(
        model="claude-sim",
        max_tokens=2048,
        system="be brief",
        thinking={"type": "enabled", "budget_tokens": 1024},
        tools=[EXEC_TOOL],  # type: ignore[list-item]
        messages=[{"role": "user", "content": "run: ls"}],
        extra_headers={"x-sim-persona": "reasoner"},
    ) as stream:
        kinds = [event.type async for event in stream]
        message = await stream.get_final_message()
    assert kinds[0] == "message_start"
    assert kinds[-1] == "message_stop"
    assert "thinking" in kinds
    assert "signature" in kinds
    assert "input_json" in kinds
    thinking, tool_use = message.content
    assert thinking.type == "thinking"
    assert thinking.thinking == THOUGHT
    assert thinking.signature == reasoning_blob(THOUGHT)
    assert tool_use.type == "tool_use"
    assert tool_use.id.startswith("toolu_")
    assert tool_use.name == "exec_command"
    assert tool_use.input == {"cmd": "ls"}
    assert message.stop_reason == "tool_use"
    size = int(server.requests.entries()[-1].headers["content-length"])
    usage = message.usage
    assert usage.input_tokens + (usage.cache_read_input_tokens or 0) == size // 4
    assert usage.cache_read_input_tokens == 7
    assert usage.cache_creation_input_tokens == 0
    assert usage.output_tokens == (len(THOUGHT) + len("exec_command") + len('{"cmd":"ls"}')) // 4


async def test_sdk_round_trip_sends_thinking_back(make_sim: Any) -> None:
    server = await make_sim()
    client = client_for(server)
    headers = {"x-sim-persona": "reasoner"}
    first = await client.messages.create(
        model="claude-sim",
        max_tokens=1024,
        tools=[EXEC_TOOL],  # type: ignore[list-item]
        messages=[{"role": "user", "content": "run: ls"}],
        extra_headers=headers,
    )
    assert first.stop_reason == "tool_use"
    tool_use = first.content[-1]
    assert tool_use.type == "tool_use"
    history: list[Any] = [
        {"role": "user", "content": "run: ls"},
        {"role": "assistant", "content": [block.model_dump() for block in first.content]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": tool_use.id, "content": "a.txt"}],
        },
    ]
    second = await client.messages.create(
        model="claude-sim",
        max_tokens=1024,
        tools=[EXEC_TOOL],  # type: ignore[list-item]
        messages=history,
    )
    assert second.stop_reason == "end_turn"
    assert [block.type for block in second.content] == ["text"]
    assert second.content[0].text == "Command finished. Output: a.txt"  # type: ignore[union-attr]

    history[1]["content"][0]["thinking"] = "Thinking about something else."
    with pytest.raises(anthropic.BadRequestError) as caught:
        await client.messages.create(model="claude-sim", max_tokens=1024, messages=history)
    assert caught.value.body == {
        "type": "error",
        "error": {
            "type": "invalid_request_error",
            "message": "messages.1.content.0: Invalid `signature` in `thinking` block",
        },
    }


async def test_max_tokens_stops_with_max_tokens(make_sim: Any) -> None:
    client = client_for(await make_sim())
    message = await client.messages.create(
        model="claude-sim",
        max_tokens=2,
        messages=[{"role": "user", "content": "tell me a long story please"}],
    )
    assert message.stop_reason == "max_tokens"
    assert message.content[0].text == "You said"  # type: ignore[union-attr]
    assert message.usage.output_tokens == 2


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(529, "overloaded_error"), (429, "rate_limit_error"), (500, "api_error")],
)
async def test_status_fault_in_anthropic_shape(make_sim: Any, status: int, error_type: str) -> None:
    server = await make_sim()
    await post_faults(server, {"kind": "status", "status": status, "retry_after": 1})
    with pytest.raises(anthropic.APIStatusError) as caught:
        await client_for(server).messages.create(
            model="claude-sim", max_tokens=10, messages=[{"role": "user", "content": "x"}]
        )
    assert caught.value.status_code == status
    assert caught.value.response.headers["retry-after"] == "1"
    assert caught.value.body == {
        "type": "error",
        "error": {"type": error_type, "message": "simulated upstream error"},
    }


async def test_status_fault_with_its_own_body_is_sent_as_is(make_client: Any) -> None:
    client = await make_client()
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}
    await client.post(
        "/_sim/faults", json={"faults": [{"kind": "status", "status": 529, "body": body}]}
    )
    response = await client.post("/v1/messages", json=BODY)
    assert response.status == 529
    assert await response.json() == body


async def test_failed_fault_mid_stream_is_an_error_event(make_sim: Any) -> None:
    server = await make_sim()
    fault = {"kind": "failed", "code": "server_error", "error_type": "overloaded_error"}
    await post_faults(server, fault, fault)
    async with aiohttp.ClientSession() as session:
        response = await session.post(server.url + "/v1/messages", json=BODY)
        events = anthropic_events(await response.read())
    assert [event["type"] for event in events] == ["message_start", "error"]
    assert events[1]["error"] == {
        "type": "overloaded_error",
        "message": "simulated upstream failure",
    }
    with pytest.raises(anthropic.APIStatusError, match="overloaded_error"):
        async with client_for(server).messages.stream(
            model="claude-sim", max_tokens=10, messages=[{"role": "user", "content": "x"}]
        ) as stream:
            async for _ in stream:
                pass


async def test_stream_faults_on_the_messages_route(make_client: Any) -> None:
    client = await make_client(SimOptions(chunks=2))
    faults = [
        {"kind": "no_completed"},
        {"kind": "malformed", "after": 2},
        {"kind": "cut", "after": 3},
        {"kind": "failed", "code": "rate_limit_exceeded", "message": "later"},
    ]
    await client.post("/_sim/faults", json={"faults": faults})

    unfinished = anthropic_events(await (await client.post("/v1/messages", json=BODY)).read())
    assert unfinished[-1]["type"] == "content_block_stop"
    assert all(e["type"] not in ("message_delta", "message_stop") for e in unfinished)

    raw = await (await client.post("/messages", json=BODY)).read()
    blocks = raw.split(b"\n\n")
    assert blocks[2] == b"event: content_block_delta\ndata: {not json"
    good = anthropic_events(b"\n\n".join(blocks[:2] + blocks[3:]))
    assert good[-1]["type"] == "message_stop"

    response = await client.post("/v1/messages", json=BODY)
    received = b""
    with pytest.raises(aiohttp.ClientPayloadError):
        async for chunk in response.content.iter_any():
            received += chunk
    assert received.count(b"\n\n") == 3
    assert b"message_stop" not in received

    failed = await client.post("/v1/messages", json={**BODY, "stream": False})
    assert failed.status == 500
    assert await failed.json() == {
        "type": "error",
        "error": {"type": "rate_limit_error", "message": "later"},
    }


async def test_auth_accepts_x_api_key_or_bearer(make_client: Any) -> None:
    client = await make_client(SimOptions(api_key="sk-up"))
    for headers in ({"x-api-key": "sk-up"}, {"Authorization": "Bearer sk-up"}):
        assert (await client.post("/v1/messages", json=BODY, headers=headers)).status == 200
    missing = await client.post("/v1/messages", json=BODY)
    assert missing.status == 401
    payload = await missing.json()
    assert payload["type"] == "error"
    assert payload["error"]["type"] == "authentication_error"
    assert "x-api-key" in payload["error"]["message"]
    wrong = await client.post("/v1/messages", json=BODY, headers={"x-api-key": "nope"})
    assert wrong.status == 401
    assert (await wrong.json())["error"] == {
        "type": "authentication_error",
        "message": "invalid x-api-key",
    }


async def test_bad_requests_are_anthropic_400s(make_client: Any) -> None:
    client = await make_client()
    not_json = await client.post("/v1/messages", data=b"{nope")
    assert not_json.status == 400
    assert (await not_json.json())["error"]["type"] == "invalid_request_error"
    no_max = {key: value for key, value in BODY.items() if key != "max_tokens"}
    response = await client.post("/v1/messages", json=no_max)
    assert response.status == 400
    assert await response.json() == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "max_tokens: Field required"},
    }
    bad_header = await client.post("/v1/messages", json=BODY, headers={"x-sim-chunks": "0"})
    assert (await bad_header.json())["type"] == "error"


async def test_models_in_anthropic_shape(make_sim: Any) -> None:
    server = await make_sim(SimOptions(models=("claude-a", "claude-b"), api_key="sk-up"))
    page = await client_for(server, api_key="sk-up").models.list()
    assert [model.id for model in page.data] == ["claude-a", "claude-b"]
    assert page.data[0].type == "model"
    assert page.data[0].display_name == "claude-a"
    async with aiohttp.ClientSession() as session:
        headers = {"anthropic-version": "2023-06-01", "x-api-key": "sk-up"}
        async with session.get(server.url + "/v1/models", headers=headers) as response:
            payload = await response.json()
        async with session.get(
            server.url + "/v1/models", headers=headers | {"x-api-key": "x"}
        ) as denied:
            assert denied.status == 401
            assert (await denied.json())["error"]["type"] == "authentication_error"
        bearer = {"Authorization": "Bearer sk-up"}
        async with session.get(server.url + "/v1/models", headers=bearer) as openai_shape:
            assert (await openai_shape.json())["object"] == "list"
    assert payload == {
        "data": [
            {
                "type": "model",
                "id": model,
                "display_name": model,
                "created_at": "2025-01-01T00:00:00Z",
                "lifecycle": "active",
            }
            for model in ("claude-a", "claude-b")
        ],
        "has_more": False,
        "first_id": "claude-a",
        "last_id": "claude-b",
    }
