"""Codex on a Chat Completions upstream: the hub request → Chat request, and the Chat stream
(or whole completion) → Responses events, checked against golden files and the official
`openai` SDK types.

Set FOURK_UPDATE_GOLDEN=1 to rewrite the golden files, then read the diff.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

from fourk.billing.usage import Usage
from fourk.errors import InvalidRequest
from fourk.protocols.chat.request_encode import (
    INTERRUPTED_OUTPUT,
    chat_options,
    encode_chat_request,
)
from fourk.protocols.chat.stream_decode import (
    REASONING_PREFIX,
    ChatStreamDecoder,
    decode_chat_completion,
    decode_chat_error,
    decode_reasoning_blob,
    encode_reasoning_blob,
)
from fourk.protocols.hub.tools import ToolSet, flatten_tools
from fourk.protocols.hub.upstream_quota import TEXT as UPSTREAM_QUOTA
from fourk.protocols.sse import SSEDecoder, SSEEvent

FIXTURES = Path(__file__).parent / "fixtures" / "chat_upstream"
UPDATE = os.environ.get("FOURK_UPDATE_GOLDEN") == "1"
RESPONSE_ID, MODEL, CREATED = "resp_7f3a9c", "gpt-5-codex", 1795809800
TERMINALS = {"response.completed", "response.incomplete", "response.failed"}
EVENTS = TypeAdapter(ResponseStreamEvent)


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def golden(name: str, actual: Any) -> None:
    """`actual` must equal the golden file `name` (rewritten with FOURK_UPDATE_GOLDEN=1)."""
    path = FIXTURES / name
    text = json.dumps(actual, indent=1, ensure_ascii=False) + "\n"
    if UPDATE:
        path.write_text(text)
    assert path.exists(), f"no golden file {name}: run with FOURK_UPDATE_GOLDEN=1 and read it"
    assert json.loads(text) == json.loads(path.read_text())


def tools() -> ToolSet:
    return flatten_tools(load("history-request.json")["tools"])


def decoder() -> ChatStreamDecoder:
    return ChatStreamDecoder(
        response_id=RESPONSE_ID, model=MODEL, created_at=CREATED, tools=tools()
    )


def run(pieces: Iterable[bytes]) -> tuple[list[dict[str, Any]], ChatStreamDecoder]:
    """Bytes in the pieces given → SSEDecoder → ChatStreamDecoder → events."""
    sse, chat = SSEDecoder(), decoder()
    events: list[dict[str, Any]] = []
    for piece in pieces:
        for event in sse.feed(piece):
            events += chat.feed(event)
    for event in sse.flush():
        events += chat.feed(event)
    return events + chat.finish(), chat


# -- checking shapes with the official SDK -------------------------------------------------


def check_sdk_shapes(events: list[dict[str, Any]]) -> None:
    for event in events:
        parsed = EVENTS.validate_python(event)
        assert parsed.type == event["type"]
        if event["type"] == "response.output_item.done":
            assert event["item"].get("status", "completed") == "completed"
    assert [e["sequence_number"] for e in events] == list(range(len(events)))


def check_one_terminal_last(events: list[dict[str, Any]], chat: ChatStreamDecoder) -> None:
    kinds = [event["type"] for event in events]
    count = sum(kind in TERMINALS for kind in kinds)
    assert count == (1 if chat.done else 0)
    if chat.done:
        assert kinds[-1] in TERMINALS
        assert events[-1] is chat.terminal


# -- request: golden translations ----------------------------------------------------------


def test_codex_sample_request_golden() -> None:
    body = load("codex-request-sample.json")
    encoded = encode_chat_request(body, model="deepseek-chat")
    golden("codex-request-sample.chat.json", {"body": encoded.body, "dropped": encoded.dropped})
    assert encoded.body["messages"][0]["role"] == "system"
    assert encoded.body["stream_options"] == {"include_usage": True}
    assert "multi_agent_v1__spawn_agent" in encoded.tools.names
    assert encoded.dropped == ("tool:web_search",)


def test_history_request_golden() -> None:
    body = load("history-request.json")
    options = {"reasoning_back": True, "developer_role": "developer"}
    encoded = encode_chat_request(body, model="deepseek-reasoner", options=options)
    golden("history-request.chat.json", {"body": encoded.body, "dropped": encoded.dropped})


def test_history_pairs_every_call_with_one_tool_message() -> None:
    messages = encode_chat_request(load("history-request.json"), model="m").body["messages"]
    for index, message in enumerate(messages):
        calls = [call["id"] for call in message.get("tool_calls", ())]
        if calls:
            after = messages[index + 1 : index + 1 + len(calls)]
            assert [(m["role"], m["tool_call_id"]) for m in after] == [("tool", c) for c in calls]
    answered = [m["tool_call_id"] for m in messages if m["role"] == "tool"]
    called = [c["id"] for m in messages for c in m.get("tool_calls", ())]
    assert answered == called
    interrupted = next(m for m in messages if m.get("tool_call_id") == "call_interrupted")
    assert interrupted["content"] == INTERRUPTED_OUTPUT


def test_history_without_reasoning_back_sends_no_reasoning() -> None:
    encoded = encode_chat_request(load("history-request.json"), model="m")
    assert not any("reasoning_content" in m for m in encoded.body["messages"])
    assert {m["role"] for m in encoded.body["messages"]} == {"system", "user", "assistant", "tool"}
    assert encoded.body["max_tokens"] == 4096
    assert encoded.body["reasoning_effort"] == "high"  # xhigh is sent as high


def test_history_mapping_of_custom_and_namespace_calls() -> None:
    messages = encode_chat_request(load("history-request.json"), model="m").body["messages"]
    calls = {c["id"]: c["function"] for m in messages for c in m.get("tool_calls", ())}
    assert calls["call_spawn"] == {
        "name": "multi_agent_v1__spawn_agent",
        "arguments": '{"message":"review"}',
    }
    patch = "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n"
    assert calls["call_patch"]["name"] == "apply_patch"
    assert json.loads(calls["call_patch"]["arguments"]) == {"input": patch}


# -- request: options and parameters -------------------------------------------------------


def minimal(**fields: Any) -> dict[str, Any]:
    return {"model": MODEL, "input": "hi", **fields}


def test_plain_string_input_and_no_tools() -> None:
    encoded = encode_chat_request(minimal(tool_choice="auto", parallel_tool_calls=True), model="m")
    assert encoded.body == {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": False,
    }


def test_options_max_tokens_field_effort_and_extra_body() -> None:
    body = minimal(max_output_tokens=100, reasoning={"effort": "minimal"}, stream=True)
    options = {
        "max_tokens_field": "max_completion_tokens",
        "extra_body": {"stream_options": None, "thinking": {"type": "enabled"}},
    }
    encoded = encode_chat_request(body, model="m", options=options)
    assert encoded.body["max_completion_tokens"] == 100
    assert "max_tokens" not in encoded.body
    assert encoded.body["reasoning_effort"] == "low"
    assert "stream_options" not in encoded.body
    assert encoded.body["thinking"] == {"type": "enabled"}
    no_effort = encode_chat_request(body, model="m", options={"reasoning_effort": False})
    assert "reasoning_effort" not in no_effort.body
    assert no_effort.dropped == ("param:reasoning.effort=minimal",)


def test_extra_body_merges_objects_without_touching_the_options() -> None:
    options = {"extra_body": {"stream_options": {"continuous_usage_stats": True}}}
    encoded = encode_chat_request(minimal(stream=True), model="m", options=options)
    assert encoded.body["stream_options"] == {"include_usage": True, "continuous_usage_stats": True}
    encoded.body["stream_options"]["x"] = 1
    assert options["extra_body"]["stream_options"] == {"continuous_usage_stats": True}


@pytest.mark.parametrize(
    "options",
    [
        {"developer_role": "assistant"},
        {"max_tokens_field": "max_new_tokens"},
        {"reasoning_back": "yes"},
        {"extra_body": [1]},
    ],
)
def test_bad_channel_options_are_named(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(options))):
        chat_options(options)


def test_tool_choice_forced_function_namespace_and_custom() -> None:
    body = load("history-request.json")
    cases = {
        "exec_command": {"type": "function", "name": "exec_command"},
        "multi_agent_v1__wait_agent": {
            "type": "function",
            "name": "wait_agent",
            "namespace": "multi_agent_v1",
        },
        "apply_patch": {"type": "custom", "name": "apply_patch"},
    }
    for name, choice in cases.items():
        encoded = encode_chat_request({**body, "tool_choice": choice}, model="m")
        assert encoded.body["tool_choice"] == {"type": "function", "function": {"name": name}}
    required = encode_chat_request({**body, "tool_choice": "required"}, model="m")
    assert required.body["tool_choice"] == "required"


def test_forcing_a_tool_that_is_not_offered_is_a_client_error() -> None:
    with pytest.raises(InvalidRequest) as caught:
        encode_chat_request(minimal(tool_choice={"type": "function", "name": "nope"}), model="m")
    assert caught.value.param == "tool_choice"
    assert "nope" in caught.value.message


def test_server_side_state_is_refused_with_a_way_out() -> None:
    with pytest.raises(InvalidRequest) as caught:
        encode_chat_request(minimal(previous_response_id="resp_1"), model="m")
    assert caught.value.param == "previous_response_id"
    assert "whole conversation" in caught.value.message


@pytest.mark.parametrize(
    ("items", "param"),
    [
        (["text"], "input[0]"),
        ([{"type": "message", "role": "tool", "content": "x"}], "input[0].role"),
        ([{"type": "function_call", "name": "f", "arguments": "{}"}], "input[0].call_id"),
    ],
)
def test_malformed_items_are_client_errors(items: list[Any], param: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        encode_chat_request(minimal(input=items), model="m")
    assert caught.value.param == param


def test_json_schema_format_and_unknown_parameters() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    fmt = {"type": "json_schema", "name": "answer", "schema": schema, "strict": True}
    body = minimal(text={"format": fmt}, top_p=0.9, temperature=0.2, background=True)
    encoded = encode_chat_request(body, model="m")
    assert encoded.body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": schema, "strict": True},
    }
    assert (encoded.body["top_p"], encoded.body["temperature"]) == (0.9, 0.2)
    assert encoded.dropped == ("param:background",)


def test_repeated_calls_from_codex_retries_are_sent_once() -> None:
    call = {"type": "function_call", "call_id": "c1", "name": "exec_command", "arguments": "{}"}
    output = {"type": "function_call_output", "call_id": "c1", "output": "ok"}
    encoded = encode_chat_request(minimal(input=[call, call, output]), model="m")
    assert [m["role"] for m in encoded.body["messages"]] == ["assistant", "tool"]
    assert encoded.dropped == ("item:function_call (repeated call_id)",)


# -- reasoning round trip -------------------------------------------------------------------


def test_reasoning_blob_round_trip_and_foreign_blobs() -> None:
    blob = encode_reasoning_blob("thinking ✓")
    assert blob.startswith(REASONING_PREFIX)
    assert decode_reasoning_blob(blob) == "thinking ✓"
    for foreign in ("gAAAA-opaque", REASONING_PREFIX + "!!!", REASONING_PREFIX + "W10=", None, 3):
        assert decode_reasoning_blob(foreign) is None


def test_decoded_output_goes_back_upstream_as_the_same_turn() -> None:
    """What the decoder emits, sent back by Codex, is the assistant turn the upstream wrote."""
    _events, chat = run([(FIXTURES / "deepseek-reasoning-tool.sse").read_bytes()])
    output = chat.terminal["response"]["output"] if chat.terminal else []
    question = {"type": "message", "role": "user", "content": "list files"}
    result = {"type": "function_call_output", "call_id": "call_00_Ab3kdLs9", "output": "a b"}
    body = minimal(input=[question, *output, result])
    encoded = encode_chat_request(body, model="m", options={"reasoning_back": True})
    messages = encoded.body["messages"]
    assert messages[1] == {
        "role": "assistant",
        "content": "Listing the files.",
        "reasoning_content": "The user wants to list files. I'll run ls.",
        "tool_calls": [
            {
                "id": "call_00_Ab3kdLs9",
                "type": "function",
                "function": {"name": "exec_command", "arguments": '{"cmd":"ls -la"}'},
            }
        ],
    }
    assert messages[2] == {"role": "tool", "tool_call_id": "call_00_Ab3kdLs9", "content": "a b"}


# -- stream: golden decodings --------------------------------------------------------------

STREAMS = sorted(path.name for path in FIXTURES.glob("*.sse"))


def summary(events: list[dict[str, Any]], chat: ChatStreamDecoder) -> dict[str, Any]:
    return {
        "events": [event["type"] for event in events],
        "done": chat.done,
        "terminal": chat.terminal["response"] if chat.terminal else None,
    }


@pytest.mark.parametrize("name", STREAMS)
def test_stream_golden(name: str) -> None:
    events, chat = run([(FIXTURES / name).read_bytes()])
    golden(name.removesuffix(".sse") + ".expected.json", summary(events, chat))
    check_sdk_shapes(events)
    check_one_terminal_last(events, chat)
    if chat.terminal is not None:
        Response.model_validate(chat.terminal["response"])


@pytest.mark.parametrize("name", STREAMS)
def test_stream_same_events_at_every_split(name: str) -> None:
    data = (FIXTURES / name).read_bytes()
    whole, _ = run([data])
    for cut in range(1, len(data)):
        assert run([data[:cut], data[cut:]])[0] == whole, cut


def test_deepseek_usage_and_reasoning_blob() -> None:
    _events, chat = run([(FIXTURES / "deepseek-reasoning-tool.sse").read_bytes()])
    assert chat.usage == Usage(
        input_tokens=2048, cached_tokens=1920, output_tokens=120, reasoning_tokens=80
    )
    reasoning = chat.terminal["response"]["output"][0] if chat.terminal else {}
    assert reasoning["type"] == "reasoning"
    assert decode_reasoning_blob(reasoning["encrypted_content"]) == (
        "The user wants to list files. I'll run ls."
    )
    _, cache_hit = run([(FIXTURES / "deepseek-cache-hit.sse").read_bytes()])
    assert cache_hit.usage == Usage(input_tokens=500, cached_tokens=384, output_tokens=3)


def test_apply_patch_comes_back_as_a_custom_tool_call() -> None:
    events, chat = run([(FIXTURES / "apply-patch-pieces.sse").read_bytes()])
    call = chat.terminal["response"]["output"][1] if chat.terminal else {}
    assert call["type"] == "custom_tool_call"
    assert call["name"] == "apply_patch"
    assert call["call_id"] == "call_patch_1"
    assert call["input"] == "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n"
    kinds = [e["type"] for e in events]
    assert kinds.count("response.custom_tool_call_input.done") == 1
    assert "response.function_call_arguments.delta" not in kinds


def test_mid_stream_error_fails_with_a_retry_hint() -> None:
    events, _chat = run([(FIXTURES / "error-mid-stream.sse").read_bytes()])
    assert events[-1]["type"] == "response.failed"
    error = events[-1]["response"]["error"]
    assert error["code"] == "rate_limit_exceeded"
    assert "try again in" in error["message"]


def test_cut_stream_emits_nothing_final() -> None:
    events, chat = run([(FIXTURES / "cut-without-done.sse").read_bytes()])
    assert not chat.done and chat.terminal is None
    assert chat.finish() == []
    assert not any(event["type"] in TERMINALS for event in events)


def test_after_the_end_nothing_more_is_emitted() -> None:
    _events, chat = run([(FIXTURES / "openai-text.sse").read_bytes()])
    assert chat.feed(SSEEvent(None, '{"choices":[{"index":0,"delta":{"content":"late"}}]}')) == []
    assert chat.feed(SSEEvent(None, "[DONE]")) == [] and chat.finish() == []


def test_error_event_and_keep_alive_data() -> None:
    chat = decoder()
    assert chat.feed(SSEEvent(None, "keep-alive")) == []
    events = chat.feed(SSEEvent("error", "upstream connection reset"))
    assert events[-1]["type"] == "response.failed"
    assert events[-1]["response"]["error"] == {
        "code": "server_error",
        "message": "upstream connection reset",
    }


# -- stream: property over random chunk sequences and splits -------------------------------

pieces = st.text(alphabet='ab ✓\n{}":', min_size=1, max_size=6)
tool_piece = st.fixed_dictionaries(
    {"index": st.integers(0, 2)},
    optional={
        "id": st.sampled_from(["call_x", "call_y"]),
        "function": st.fixed_dictionaries(
            {},
            optional={
                "name": st.sampled_from(["exec_command", "apply_patch", "multi_agent_v1__x"]),
                "arguments": pieces,
            },
        ),
    },
)
delta = st.one_of(
    st.builds(lambda t: {"content": t}, pieces),
    st.builds(lambda t: {"reasoning_content": t}, pieces),
    st.builds(lambda t: {"reasoning": t}, pieces),
    st.builds(lambda calls: {"tool_calls": calls}, st.lists(tool_piece, min_size=1, max_size=2)),
)
usage = st.builds(
    lambda p, c: {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c},
    st.integers(0, 10_000),
    st.integers(0, 1_000),
)


@st.composite
def chat_streams(draw: st.DrawFn) -> bytes:
    chunks: list[dict[str, Any]] = [
        {"choices": [{"index": 0, "delta": d, "finish_reason": None}]}
        for d in draw(st.lists(delta, max_size=12))
    ]
    finish = draw(st.sampled_from([None, "stop", "tool_calls", "length", "content_filter"]))
    if finish is not None:
        chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    if draw(st.booleans()):
        chunks.append({"choices": [], "usage": draw(usage)})
    if draw(st.booleans()):
        chunks.insert(draw(st.integers(0, len(chunks))), {"error": {"message": "boom"}})
    out = b": keep-alive\n\n" if draw(st.booleans()) else b""
    out += b"".join(b"data: " + orjson.dumps(chunk) + b"\n\n" for chunk in chunks)
    return out + (b"data: [DONE]\n\n" if draw(st.booleans()) else b"")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=chat_streams(), cuts=st.lists(st.integers(0, 4000), max_size=12))
def test_random_splits_give_the_same_events(data: bytes, cuts: list[int]) -> None:
    whole, chat = run([data])
    points = sorted({cut % (len(data) + 1) for cut in cuts})
    split = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    assert run(split)[0] == whole
    check_one_terminal_last(whole, chat)
    check_sdk_shapes(whole)
    if chat.terminal is not None:
        Response.model_validate(chat.terminal["response"])
        for item in chat.terminal["response"]["output"]:
            if item["type"] == "function_call":
                assert isinstance(item["arguments"], str)


# -- whole completions and HTTP errors -----------------------------------------------------


def test_whole_completion_golden() -> None:
    completion = {
        "id": "chatcmpl-whole",
        "object": "chat.completion",
        "created": 1795809800,
        "model": "deepseek-reasoner",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "I'll check the date.",
                    "reasoning_content": "Need the date.",
                    "tool_calls": [
                        {
                            "id": "call_d1",
                            "type": "function",
                            "function": {"name": "exec_command", "arguments": '{"cmd":"date"}'},
                        },
                        {
                            "id": "call_p1",
                            "type": "function",
                            "function": {"name": "apply_patch", "arguments": '{"input":"x"}'},
                        },
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 80, "completion_tokens": 30, "total_tokens": 110},
    }
    response = decode_chat_completion(
        completion, response_id=RESPONSE_ID, model=MODEL, created_at=CREATED, tools=tools()
    )
    golden("whole-completion.expected.json", response)
    Response.model_validate(response)
    assert [item["type"] for item in response["output"]] == [
        "reasoning",
        "message",
        "function_call",
        "custom_tool_call",
    ]


def test_whole_completion_cut_by_length_is_incomplete() -> None:
    completion = {
        "choices": [{"index": 0, "message": {"content": "abc"}, "finish_reason": "length"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3},
    }
    response = decode_chat_completion(
        completion, response_id=RESPONSE_ID, model=MODEL, created_at=CREATED, tools=ToolSet()
    )
    assert response["status"] == "incomplete"
    assert response["incomplete_details"] == {"reason": "max_output_tokens"}


CONTEXT_400 = (
    b'{"error":{"message":"This model\'s maximum context length is 131072 tokens. However, you '
    b'requested 140000 tokens.","type":"invalid_request_error","param":"messages",'
    b'"code":"context_length_exceeded"}}'
)


@pytest.mark.parametrize(
    ("status", "body", "code", "message"),
    [
        (
            400,
            CONTEXT_400,
            "context_length_exceeded",
            "This model's maximum context length is 131072 tokens. However, you requested "
            "140000 tokens.",
        ),
        (
            400,
            b'{"object":"error","message":"This model\'s maximum context length is 4096 tokens.",'
            b'"type":"BadRequestError","param":null,"code":400}',
            "context_length_exceeded",
            "This model's maximum context length is 4096 tokens.",
        ),
        (
            429,
            b'{"error":{"message":"Rate limit reached for requests. Please try again in 1.5s.",'
            b'"type":"requests","code":"rate_limit_exceeded"}}',
            "rate_limit_exceeded",
            "Rate limit reached for requests. Please try again in 1.5s.",
        ),
        (
            429,
            b'{"error":{"message":"Too many requests"}}',
            "rate_limit_exceeded",
            "Too many requests Please try again in 5s.",
        ),
        (
            402,
            b'{"error":{"message":"Insufficient Balance","type":"unknown_error"}}',
            "server_error",
            f"{UPSTREAM_QUOTA} The upstream said: Insufficient Balance",
        ),
        (
            429,
            b'{"error":{"message":"You exceeded your current quota.","code":"insufficient_quota"}}',
            "server_error",
            f"{UPSTREAM_QUOTA} The upstream said: You exceeded your current quota.",
        ),
        (502, b"<html>bad gateway</html>", "server_error", "<html>bad gateway</html>"),
        (
            500,
            b"",
            "server_error",
            "The upstream model server reported an error (HTTP 500) without a message.",
        ),
    ],
)
def test_http_error_bodies(status: int, body: bytes, code: str, message: str) -> None:
    assert decode_chat_error(status, body) == (code, message)
