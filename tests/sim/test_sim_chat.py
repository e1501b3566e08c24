"""The simulator as an OpenAI Chat Completions upstream: wire shape, the SDK, faults."""

from __future__ import annotations

from typing import Any

import aiohttp
import openai
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fourk.sim import (
    Answer,
    ChatChunkStream,
    FunctionCall,
    Reasoning,
    SimOptions,
    Simulator,
    TextMessage,
)
from fourk.sim.ids import CountingIds
from fourk.sim.usage import SimUsage

EXEC_TOOL = {
    "type": "function",
    "function": {
        "name": "exec_command",
        "parameters": {
            "type": "object",
            "properties": {"cmd": {"type": "string"}},
            "required": ["cmd"],
        },
    },
}
BODY: dict[str, Any] = {
    "model": "sim-model",
    "stream": True,
    "stream_options": {"include_usage": True},
    "messages": [{"role": "user", "content": "hi"}],
}


def chat_events(raw: bytes) -> list[Any]:
    """Each `data:` payload in order: a dict, or the string "[DONE]"."""
    events: list[Any] = []
    for block in raw.split(b"\n\n"):
        if not block:
            continue
        assert block.startswith(b"data: "), block
        assert b"\n" not in block
        data = block[6:]
        events.append("[DONE]" if data == b"[DONE]" else orjson.loads(data))
    return events


def fixed_sim(**options: Any) -> Simulator:
    return Simulator(SimOptions(**options), new_id=CountingIds(), clock=lambda: 1000.0)


async def drain(reply: Any) -> bytes:
    assert not isinstance(reply.body, bytes), reply.body
    return b"".join([chunk async for chunk in reply.body])


def client_for(server: Any, **kwargs: Any) -> openai.AsyncOpenAI:
    kwargs.setdefault("api_key", "sk-test")
    return openai.AsyncOpenAI(base_url=server.url + "/v1", max_retries=0, **kwargs)


async def test_golden_stream_with_usage() -> None:
    reply = await fixed_sim(chunks=2).respond(BODY, request_size=400, protocol="chat")
    assert reply.headers["content-type"].startswith("text/event-stream")
    base = {
        "id": "chatcmpl-0002",
        "object": "chat.completion.chunk",
        "created": 1000,
        "model": "sim-model",
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return {**base, "choices": [choice], "usage": None}

    assert chat_events(await drain(reply)) == [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "You sa"}),
        chunk({"content": "id: hi"}),
        chunk({}, "stop"),
        {
            **base,
            "choices": [],
            "usage": {
                "prompt_tokens": 100,
                "completion_tokens": 3,
                "total_tokens": 103,
                "prompt_tokens_details": {"cached_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0},
            },
        },
        "[DONE]",
    ]


async def test_golden_stream_of_reasoning_and_a_tool_call_without_usage() -> None:
    body = {**BODY, "messages": [{"role": "user", "content": "run: ls"}]}
    del body["stream_options"]
    reply = await fixed_sim(chunks=2, persona="reasoner").respond(body, protocol="chat")
    events = chat_events(await drain(reply))
    assert events[-1] == "[DONE]"
    assert all("usage" not in event for event in events[:-1])
    deltas = [(e["choices"][0]["delta"], e["choices"][0]["finish_reason"]) for e in events[:-1]]
    assert deltas == [
        ({"role": "assistant", "content": ""}, None),
        ({"reasoning_content": "Thinking abo"}, None),
        ({"reasoning_content": "ut run: ls."}, None),
        (
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_0001",
                        "type": "function",
                        "function": {"name": "exec_command", "arguments": ""},
                    }
                ]
            },
            None,
        ),
        ({"tool_calls": [{"index": 0, "function": {"arguments": '{"cmd"'}}]}, None),
        ({"tool_calls": [{"index": 0, "function": {"arguments": ':"ls"}'}}]}, None),
        ({}, "tool_calls"),
    ]


async def test_golden_non_streaming_completion() -> None:
    body = {"model": "sim-model", "messages": [{"role": "user", "content": "run: ls"}]}
    sim = fixed_sim(persona="reasoner", cached_tokens=5)
    reply = await sim.respond(body, request_size=400, protocol="chat")
    assert reply.status == 200
    assert isinstance(reply.body, bytes)
    assert orjson.loads(reply.body) == {
        "id": "chatcmpl-0002",
        "object": "chat.completion",
        "created": 1000,
        "model": "sim-model",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "refusal": None,
                    "reasoning_content": "Thinking about run: ls.",
                    "tool_calls": [
                        {
                            "id": "call_0001",
                            "type": "function",
                            "function": {"name": "exec_command", "arguments": '{"cmd":"ls"}'},
                        }
                    ],
                },
                "logprobs": None,
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {
            "prompt_tokens": 100,
            "completion_tokens": 11,
            "total_tokens": 111,
            "prompt_tokens_details": {"cached_tokens": 5},
            "completion_tokens_details": {"reasoning_tokens": 5},
        },
    }


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(max_size=80),
    summary=st.text(min_size=1, max_size=40),
    command=st.text(max_size=40),
    chunks=st.integers(min_value=1, max_value=50),
)
def test_deltas_add_up_to_the_items(text: str, summary: str, command: str, chunks: int) -> None:
    arguments = orjson.dumps({"cmd": command}).decode()
    items = (
        Reasoning(summary, "blob"),
        TextMessage(text),
        FunctionCall("exec_command", arguments, "call_a"),
        FunctionCall("write_stdin", "{}", "call_b"),
    )
    answer = Answer("m", 1, items, SimUsage(10, 0, 5, 1))
    events = chat_events(b"".join(ChatChunkStream(answer, CountingIds(), chunks).events()))
    assert events[-1] == "[DONE]"
    deltas = [event["choices"][0]["delta"] for event in events[:-1]]
    assert "".join(d.get("content", "") for d in deltas) == text
    assert "".join(d.get("reasoning_content", "") for d in deltas) == summary
    calls: dict[int, dict[str, str]] = {}
    for delta in deltas:
        for call in delta.get("tool_calls", []):
            entry = calls.setdefault(call["index"], {"id": "", "name": "", "arguments": ""})
            entry["id"] += call.get("id", "")
            entry["name"] += call["function"].get("name", "")
            entry["arguments"] += call["function"]["arguments"]
    assert calls == {
        0: {"id": "call_a", "name": "exec_command", "arguments": arguments},
        1: {"id": "call_b", "name": "write_stdin", "arguments": "{}"},
    }
    assert events[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert all(len(event["choices"]) == 1 for event in events[:-1])


async def test_sdk_stream_with_tools_and_usage(make_sim: Any) -> None:
    server = await make_sim(SimOptions(chunks=4, cached_tokens=3))
    client = client_for(server)
    stream = await client.chat.completions.create(
        model="sim-model",
        messages=[
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "run: ls"},
        ],
        tools=[EXEC_TOOL],  # type: ignore[list-item]
        stream=True,
        stream_options={"include_usage": True},
        extra_headers={"x-sim-persona": "reasoner"},
    )
    chunks = [chunk async for chunk in stream]
    assert {chunk.object for chunk in chunks} == {"chat.completion.chunk"}
    assert chunks[0].choices[0].delta.role == "assistant"
    reasoning = "".join(
        (chunk.choices[0].delta.model_extra or {}).get("reasoning_content", "")
        for chunk in chunks
        if chunk.choices
    )
    assert reasoning == "Thinking about run: ls."
    arguments = "".join(
        call.function.arguments or ""
        for chunk in chunks
        if chunk.choices
        for call in chunk.choices[0].delta.tool_calls or []
        if call.function is not None
    )
    assert orjson.loads(arguments) == {"cmd": "ls"}
    assert chunks[-2].choices[0].finish_reason == "tool_calls"
    usage = chunks[-1].usage
    assert usage is not None
    assert chunks[-1].choices == []
    size = int(server.requests.entries()[-1].headers["content-length"])
    assert usage.prompt_tokens == size // 4
    assert usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens == 3
    assert usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.reasoning_tokens == len(reasoning) // 4
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


async def test_sdk_stream_helper_accumulates_the_tool_call(make_sim: Any) -> None:
    client = client_for(await make_sim(SimOptions(chunks=3)))
    async with client.chat.completions.stream(
        model="sim-model",
        messages=[{"role": "user", "content": "run: echo hi"}],
        tools=[EXEC_TOOL],  # type: ignore[list-item]
    ) as stream:
        async for _ in stream:
            pass
        completion = await stream.get_final_completion()
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls or []
    assert call.type == "function"
    assert call.function.name == "exec_command"
    assert orjson.loads(call.function.arguments) == {"cmd": "echo hi"}


async def test_sdk_non_streaming_round_trip_with_tool_output(make_sim: Any) -> None:
    server = await make_sim()
    client = client_for(server)
    first = await client.chat.completions.create(
        model="sim-model",
        messages=[{"role": "user", "content": "run: ls"}],
        tools=[EXEC_TOOL],  # type: ignore[list-item]
        extra_headers={"x-sim-persona": "reasoner"},
    )
    assert first.object == "chat.completion"
    message = first.choices[0].message
    assert (message.model_extra or {})["reasoning_content"] == "Thinking about run: ls."
    [call] = message.tool_calls or []
    second = await client.chat.completions.create(
        model="sim-model",
        messages=[
            {"role": "user", "content": "run: ls"},
            {
                "role": "assistant",
                "content": None,
                "reasoning_content": "Thinking about run: ls.",  # type: ignore[typeddict-unknown-key]
                "tool_calls": [call.model_dump()],  # type: ignore[list-item]
            },
            {"role": "tool", "tool_call_id": call.id, "content": "a.txt\nb.txt"},
        ],
        tools=[EXEC_TOOL],  # type: ignore[list-item]
    )
    assert second.choices[0].message.content == "Command finished. Output: a.txt\nb.txt"
    assert second.choices[0].finish_reason == "stop"
    usage = second.usage
    assert usage is not None
    size = int(server.requests.entries()[-1].headers["content-length"])
    assert usage.prompt_tokens == size // 4
    assert usage.completion_tokens == len("Command finished. Output: a.txt\nb.txt") // 4


async def test_max_tokens_stops_with_length(make_sim: Any) -> None:
    client = client_for(await make_sim())
    text = "a long question " * 5
    completion = await client.chat.completions.create(
        model="sim-model", messages=[{"role": "user", "content": text}], max_tokens=3
    )
    assert completion.choices[0].finish_reason == "length"
    assert completion.choices[0].message.content == "You said: a "  # 3 tokens, 12 characters
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 3
    stream = await client.chat.completions.create(
        model="sim-model",
        messages=[{"role": "user", "content": text}],
        max_completion_tokens=2,
        stream=True,
    )
    chunks = [chunk async for chunk in stream]
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "You said"
    assert chunks[-1].choices[0].finish_reason == "length"


async def test_status_fault_in_openai_shape(make_sim: Any) -> None:
    server = await make_sim()
    async with aiohttp.ClientSession() as session:
        fault = {"kind": "status", "status": 429, "retry_after": 2}
        await session.post(server.url + "/_sim/faults", json={"faults": [fault]})
    client = client_for(server)
    with pytest.raises(openai.RateLimitError) as caught:
        await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert caught.value.response.headers["retry-after"] == "2"
    assert caught.value.body == {
        "message": "simulated upstream error",
        "type": "server_error",
        "code": None,
        "param": None,
    }


async def test_failed_fault_mid_stream_is_an_error_chunk(make_sim: Any) -> None:
    server = await make_sim()
    async with aiohttp.ClientSession() as session:
        fault = {"kind": "failed", "code": "rate_limit_exceeded", "message": "slow down"}
        await session.post(server.url + "/_sim/faults", json={"faults": [fault, fault]})
        response = await session.post(server.url + "/v1/chat/completions", json=BODY)
        events = chat_events(await response.read())
    assert events[0]["choices"][0]["delta"]["role"] == "assistant"
    assert events[1] == {
        "error": {
            "message": "slow down",
            "type": "server_error",
            "code": "rate_limit_exceeded",
            "param": None,
        }
    }
    assert len(events) == 2
    client = client_for(server)
    stream = await client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "x"}], stream=True
    )
    with pytest.raises(openai.APIError, match="slow down"):
        async for _ in stream:
            pass


async def test_stream_faults_on_the_chat_route(make_client: Any) -> None:
    client = await make_client(SimOptions(chunks=2))
    faults = [
        {"kind": "no_completed"},
        {"kind": "malformed", "after": 2},
        {"kind": "cut", "after": 3},
    ]
    await client.post("/_sim/faults", json={"faults": faults})

    unfinished = chat_events(await (await client.post("/chat/completions", json=BODY)).read())
    assert len(unfinished) == 3
    assert all(event["choices"][0]["finish_reason"] is None for event in unfinished)

    raw = await (await client.post("/v1/chat/completions", json=BODY)).read()
    blocks = raw.split(b"\n\n")
    assert blocks[2] == b"data: {not json"
    assert chat_events(b"\n\n".join(blocks[:2] + blocks[3:]))[-1] == "[DONE]"

    response = await client.post("/v1/chat/completions", json=BODY)
    received = b""
    with pytest.raises(aiohttp.ClientPayloadError):
        async for chunk in response.content.iter_any():
            received += chunk
    assert received.count(b"\n\n") == 3
    assert b"[DONE]" not in received


async def test_non_streaming_failed_fault_is_a_500(make_client: Any) -> None:
    client = await make_client()
    fault = {"kind": "failed", "code": "server_error", "message": "boom"}
    await client.post("/_sim/faults", json={"faults": [fault]})
    whole = {"model": "m", "messages": BODY["messages"]}
    response = await client.post("/v1/chat/completions", json=whole)
    assert response.status == 500
    assert (await response.json())["error"]["message"] == "boom"


async def test_auth_recorder_and_bad_input(make_client: Any) -> None:
    client = await make_client(SimOptions(api_key="sk-up"))
    missing = await client.post("/v1/chat/completions", json=BODY)
    assert missing.status == 401
    assert set((await missing.json())["error"]) == {"message", "type", "code", "param"}
    wrong = await client.post("/v1/chat/completions", json=BODY, headers={"x-api-key": "sk-up"})
    assert wrong.status == 401  # x-api-key is Anthropic's, not OpenAI's
    good = {"Authorization": "Bearer sk-up"}
    bad = {**BODY, "messages": [{"role": "tool", "tool_call_id": "nope", "content": "x"}]}
    rejected = await client.post("/v1/chat/completions", json=bad, headers=good)
    assert rejected.status == 400
    error = (await rejected.json())["error"]
    assert error["type"] == "invalid_request_error"
    assert "tool_call_id 'nope'" in error["message"]
    not_json = await client.post("/chat/completions", data=b"{", headers=good)
    assert not_json.status == 400
    assert "error" in await not_json.json()
    requests = (await (await client.get("/_sim/requests")).json())["requests"]
    assert [r["path"] for r in requests] == ["/v1/chat/completions"] * 3 + ["/chat/completions"]
    assert requests[2]["body"] == bad
