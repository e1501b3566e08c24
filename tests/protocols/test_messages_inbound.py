"""Anthropic Messages clients ↔ the hub: request decoding, stream and message encoding.

The produced events and messages are checked against the official `anthropic` SDK's own
types, and whole streams go through the SDK's stream reader and accumulator offline.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import pytest
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import Message, RawMessageStreamEvent
from anthropic.types.shared.error_response import ErrorResponse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai.types.responses.response_create_params import ResponseCreateParams
from pydantic import TypeAdapter

from fourk.errors import InvalidRequest
from fourk.protocols.messages.request_decode import DecodedMessages, decode_messages_request
from fourk.protocols.messages.stream_encode import (
    MessagesStreamEncoder,
    encode_event,
    encode_message,
    encode_messages_error,
    encode_messages_usage,
)
from fourk.protocols.sse import SSEDecoder, SSEFramer, parse_event

FIXTURES = Path(__file__).parent / "fixtures" / "messages_inbound"
SAMPLES = ("sse-sample-message", "sse-sample-function-call")
STREAM_EVENT: TypeAdapter[RawMessageStreamEvent] = TypeAdapter(RawMessageStreamEvent)
HUB_REQUEST: TypeAdapter[Any] = TypeAdapter(ResponseCreateParams)
MODEL = "claude-sonnet-4-5"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def request(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": MODEL,
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": "hi"}],
    }
    body.update(fields)
    return body


def decode(**fields: Any) -> DecodedMessages:
    return decode_messages_request(request(**fields))


# ------------------------------------------------------------------ request decoding


def test_claude_code_conversation_matches_golden() -> None:
    decoded = decode_messages_request(fixture("claude-code-request.json"))
    expected = fixture("claude-code-request.hub.json")
    assert decoded.body == expected["body"]
    assert list(decoded.dropped) == expected["dropped"]


def test_hub_body_has_the_openai_sdk_request_shape() -> None:
    body = decode_messages_request(fixture("claude-code-request.json")).body
    # The SDK types an assistant history message as an output message with ids; Codex sends
    # the id-less form we use, which the API accepts. Reasoning ids are unknown here.
    body["input"] = [
        item
        for item in body["input"]
        if item["type"] != "reasoning" and item.get("role") != "assistant"
    ]
    HUB_REQUEST.validate_python(body)


def test_string_content_and_system_string() -> None:
    body = decode(system="Be brief.", messages=[{"role": "user", "content": "hello"}]).body
    assert body["instructions"] == "Be brief."
    assert body["input"] == [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hello"}]}
    ]
    assert body["store"] is False and body["max_output_tokens"] == 1024
    assert "stream" not in body and "tools" not in body and "reasoning" not in body


def test_system_blocks_are_joined_and_cache_control_ignored() -> None:
    system = [
        {"type": "text", "text": "One.", "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": ""},
        {"type": "text", "text": "Two."},
    ]
    assert decode(system=system).body["instructions"] == "One.\n\nTwo."
    assert "instructions" not in decode(system=[]).body


def test_images_base64_and_url_in_messages_and_tool_results() -> None:
    png = {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Compare"},
                {"type": "image", "source": png},
                {"type": "image", "source": {"type": "url", "url": "https://x.test/a.jpg"}},
            ],
        },
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Shot"}]},
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "t1",
                    "is_error": True,
                    "content": [
                        {"type": "text", "text": "blurry"},
                        {"type": "image", "source": png},
                    ],
                }
            ],
        },
    ]
    body = decode(messages=messages).body
    data_url = "data:image/png;base64,iVBORw0KGgo="
    assert body["input"][0]["content"] == [
        {"type": "input_text", "text": "Compare"},
        {"type": "input_image", "image_url": data_url, "detail": "auto"},
        {"type": "input_image", "image_url": "https://x.test/a.jpg", "detail": "auto"},
    ]
    assert body["input"][1]["arguments"] == "{}"
    assert body["input"][2] == {
        "type": "function_call_output",
        "call_id": "t1",
        "output": [
            {"type": "input_text", "text": "Error:"},
            {"type": "input_text", "text": "blurry"},
            {"type": "input_image", "image_url": data_url, "detail": "auto"},
        ],
    }
    HUB_REQUEST.validate_python({**body, "input": [body["input"][0], body["input"][2]]})


@pytest.mark.parametrize(
    ("content", "is_error", "output"),
    [
        ("plain", False, "plain"),
        ("boom", True, "Error: boom"),
        ([], True, "Error"),
        (None, False, ""),
        ([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}], False, "a\nb"),
    ],
)
def test_tool_result_output_text(content: Any, is_error: bool, output: str) -> None:
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": "toolu_1", "is_error": is_error}
    if content is not None:
        block["content"] = content
    body = decode(messages=[{"role": "user", "content": [block]}]).body
    assert body["input"] == [
        {"type": "function_call_output", "call_id": "toolu_1", "output": output}
    ]


def test_thinking_round_trips_through_an_anthropic_client() -> None:
    """What we send a client (encode_message) comes back as history and decodes to the
    same hub items: the reasoning blob, its summary and the tool call."""
    response = {
        "id": "resp_1",
        "model": "gpt-5",
        "status": "completed",
        "output": [
            {
                "type": "reasoning",
                "id": "rs_1",
                "summary": [{"type": "summary_text", "text": "Plan."}],
                "encrypted_content": "gAAAA-blob",
            },
            {"type": "reasoning", "id": "rs_2", "summary": [], "encrypted_content": "gAAAA-2"},
            {
                "type": "function_call",
                "id": "fc_1",
                "call_id": "call_1",
                "name": "Bash",
                "arguments": '{"command": "ls"}',
            },
        ],
    }
    message = encode_message(response, message_id="msg_1")
    Message.model_validate(message)
    history = [
        {"role": "user", "content": "list"},
        {"role": "assistant", "content": message["content"]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_1"}]},
    ]
    items = decode(messages=history).body["input"]
    assert items[1:4] == [
        {
            "type": "reasoning",
            "summary": [{"type": "summary_text", "text": "Plan."}],
            "encrypted_content": "gAAAA-blob",
        },
        {"type": "reasoning", "summary": [], "encrypted_content": "gAAAA-2"},
        {
            "type": "function_call",
            "call_id": "call_1",
            "name": "Bash",
            "arguments": '{"command":"ls"}',
        },
    ]


def test_redacted_thinking_and_unsigned_thinking() -> None:
    content = [
        {"type": "thinking", "thinking": "no signature, cannot be verified"},
        {"type": "thinking", "thinking": "also none", "signature": ""},
        {"type": "redacted_thinking", "data": "opaque"},
        {"type": "text", "text": "a"},
        {"type": "text", "text": "b"},
    ]
    items = decode(messages=[{"role": "assistant", "content": content}]).body["input"]
    assert items == [
        {"type": "reasoning", "summary": [], "encrypted_content": "opaque"},
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "a"}, {"type": "output_text", "text": "b"}],
        },
    ]


def test_block_order_is_kept_within_a_message() -> None:
    content = [
        {"type": "text", "text": "first"},
        {"type": "tool_use", "id": "t1", "name": "A", "input": {}},
        {"type": "text", "text": "after"},
    ]
    kinds = [
        (item["type"], item.get("role"))
        for item in decode(messages=[{"role": "assistant", "content": content}]).body["input"]
    ]
    assert kinds == [("message", "assistant"), ("function_call", None), ("message", "assistant")]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"type": "auto"}, {"tool_choice": "auto"}),
        ({"type": "any"}, {"tool_choice": "required"}),
        ({"type": "none"}, {"tool_choice": "none"}),
        ({"type": "tool", "name": "Bash"}, {"tool_choice": {"type": "function", "name": "Bash"}}),
        (
            {"type": "any", "disable_parallel_tool_use": True},
            {"tool_choice": "required", "parallel_tool_calls": False},
        ),
    ],
)
def test_tool_choice(choice: dict[str, Any], expected: dict[str, Any]) -> None:
    tools = [{"name": "Bash", "input_schema": {"type": "object"}, "strict": True}]
    body = decode(tools=tools, tool_choice=choice).body
    assert body["tools"] == [
        {"type": "function", "name": "Bash", "parameters": {"type": "object"}, "strict": True}
    ]
    got = {k: body[k] for k in ("tool_choice", "parallel_tool_calls") if k in body}
    assert got == expected


def test_server_tools_and_unsupported_fields_are_dropped_and_named() -> None:
    decoded = decode(
        tools=[
            {"type": "web_search_20250305", "name": "web_search"},
            {"type": "bash_20250124", "name": "bash"},
        ],
        tool_choice={"type": "any"},
        stop_sequences=["\n\nHuman:"],
        top_k=5,
        metadata={"user_id": "u"},
        service_tier=None,
        messages=[
            {"role": "user", "content": "search"},
            {
                "role": "assistant",
                "content": [
                    {"type": "server_tool_use", "id": "s1", "name": "web_search", "input": {}},
                    {"type": "web_search_tool_result", "tool_use_id": "s1", "content": []},
                    {"type": "text", "text": "found"},
                ],
            },
        ],
    )
    assert decoded.dropped == (
        "content:server_tool_use",
        "content:web_search_tool_result",
        "tools:web_search_20250305",
        "tools:bash_20250124",
        "tool_choice",
        "stop_sequences",
        "top_k",
        "metadata",
    )
    assert "tools" not in decoded.body and "tool_choice" not in decoded.body
    assert decoded.body["input"][1]["content"] == [{"type": "output_text", "text": "found"}]


@pytest.mark.parametrize(
    ("thinking", "config", "reasoning"),
    [
        ({"type": "enabled", "budget_tokens": 1024}, None, {"effort": "low", "summary": "auto"}),
        ({"type": "enabled", "budget_tokens": 4096}, None, {"effort": "low", "summary": "auto"}),
        ({"type": "enabled", "budget_tokens": 4097}, None, {"effort": "medium", "summary": "auto"}),
        (
            {"type": "enabled", "budget_tokens": 16384},
            None,
            {"effort": "medium", "summary": "auto"},
        ),
        ({"type": "enabled", "budget_tokens": 31999}, None, {"effort": "high", "summary": "auto"}),
        (
            {"type": "enabled", "budget_tokens": 31999},
            {"effort": "low"},
            {"effort": "low", "summary": "auto"},
        ),
        ({"type": "adaptive"}, None, {"summary": "auto"}),
        ({"type": "adaptive", "display": "omitted"}, {"effort": "max"}, {"effort": "high"}),
    ],
)
def test_thinking_becomes_reasoning(
    thinking: dict[str, Any], config: dict[str, Any] | None, reasoning: dict[str, Any]
) -> None:
    body = decode(thinking=thinking, output_config=config, max_tokens=32000).body
    assert body["reasoning"] == reasoning
    assert body["include"] == ["reasoning.encrypted_content"]


def test_no_thinking_means_no_reasoning_summary() -> None:
    assert "reasoning" not in decode(thinking={"type": "disabled"}).body
    body = decode(output_config={"effort": "medium"}).body
    assert body["reasoning"] == {"effort": "medium"} and "include" not in body


def test_structured_output_format() -> None:
    schema = {"type": "object", "properties": {}, "additionalProperties": False}
    body = decode(output_config={"format": {"type": "json_schema", "schema": schema}}).body
    assert body["text"] == {
        "format": {"type": "json_schema", "name": "output", "schema": schema, "strict": True}
    }


def _without(name: str) -> Callable[[dict[str, Any]], None]:
    return lambda body: body.pop(name)


def _set(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda body: body.__setitem__(name, value)


def _content(*blocks: Any, role: str = "user") -> Callable[[dict[str, Any]], None]:
    return _set("messages", [{"role": role, "content": list(blocks)}])


REJECTIONS: list[tuple[Callable[[dict[str, Any]], None], str, str]] = [
    (_without("model"), "model", "'model' is required"),
    (_set("model", 7), "model", "'model' is required"),
    (_without("max_tokens"), "max_tokens", "positive integer"),
    (_set("max_tokens", 0), "max_tokens", "positive integer"),
    (_set("max_tokens", True), "max_tokens", "positive integer"),
    (_set("messages", []), "messages", "non-empty list"),
    (_set("messages", "hi"), "messages", "non-empty list"),
    (_set("messages", ["hi"]), "messages.0", "must be an object"),
    (_set("messages", [{"role": "system", "content": "x"}]), "messages.0.role", "'system' field"),
    (_set("messages", [{"role": "user", "content": 5}]), "messages.0.content", "string or a list"),
    (_content("text"), "messages.0.content.0", "content block object"),
    (_content({"type": "text"}), "messages.0.content.0.text", "must be a string"),
    (
        _content({"type": "document", "source": {}}),
        "messages.0.content.0",
        "'document' are not supported",
    ),
    (
        _content({"type": "image", "source": {"type": "file", "file_id": "f"}}),
        "messages.0.content.0.source",
        "file ids are not supported",
    ),
    (
        _content({"type": "image", "source": {"type": "base64", "data": "x"}}),
        "messages.0.content.0.source",
        "'base64'",
    ),
    (_content({"type": "tool_result"}), "messages.0.content.0.tool_use_id", "tool_use block"),
    (
        _content({"type": "tool_result", "tool_use_id": "t", "content": [{"type": "document"}]}),
        "messages.0.content.0.content.0",
        "send text or images",
    ),
    (
        _content({"type": "tool_use", "id": "t", "name": "A", "input": [1]}, role="assistant"),
        "messages.0.content.0.input",
        "JSON object",
    ),
    (
        _content({"type": "tool_use", "name": "A"}, role="assistant"),
        "messages.0.content.0",
        "string 'id' and 'name'",
    ),
    (
        _content({"type": "image", "source": {}}, role="assistant"),
        "messages.0.content.0",
        "assistant content blocks of type 'image'",
    ),
    (
        _content({"type": "redacted_thinking"}, role="assistant"),
        "messages.0.content.0.data",
        "must be a string",
    ),
    (_set("system", 3), "system", "string or a list"),
    (_set("system", [{"type": "image"}]), "system.0", "text block"),
    (_set("temperature", "hot"), "temperature", "a number"),
    (_set("top_p", None), "", ""),  # absent is fine: checked below as "no error"
    (_set("stream", "yes"), "stream", "true or false"),
    (_set("tools", {"name": "x"}), "tools", "list of tool definitions"),
    (_set("tools", ["x"]), "tools.0", "must be an object"),
    (_set("tools", [{"input_schema": {}}]), "tools.0.name", "non-empty string"),
    (_set("tools", [{"name": "A"}]), "tools.0.input_schema", "JSON Schema"),
    (_set("tool_choice", {"type": "sometimes"}), "tool_choice", "'auto' | 'any'"),
    (
        lambda b: b.update(
            tools=[{"name": "A", "input_schema": {}}], tool_choice={"type": "tool", "name": "B"}
        ),
        "tool_choice.name",
        "not one of the request's tools (A)",
    ),
    (_set("thinking", {"type": "enabled"}), "thinking.budget_tokens", "positive integer"),
    (_set("thinking", {"type": "always"}), "thinking", "'enabled'"),
    (_set("thinking", "on"), "thinking", "'enabled'"),
]


@pytest.mark.parametrize(("mutate", "param", "fragment"), REJECTIONS)
def test_rejections_name_the_parameter(
    mutate: Callable[[dict[str, Any]], None], param: str, fragment: str
) -> None:
    body = request()
    mutate(body)
    if not param:
        decode_messages_request(body)
        return
    with pytest.raises(InvalidRequest) as caught:
        decode_messages_request(body)
    assert caught.value.param == param
    assert fragment in caught.value.message


def test_body_must_be_an_object() -> None:
    with pytest.raises(InvalidRequest, match="JSON object"):
        decode_messages_request([])  # type: ignore[arg-type]


# ------------------------------------------------------------------ stream encoding


def sample_events(name: str) -> list[dict[str, Any]]:
    framer = SSEFramer()
    blocks = framer.feed((FIXTURES / f"{name}.txt").read_bytes())
    assert framer.flush() == b""
    events = []
    for block in blocks:
        parsed = parse_event(block)
        assert parsed is not None
        events.append(json.loads(parsed.data))
    return events


def encode_all(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    encoder = MessagesStreamEncoder(model=MODEL, message_id="msg_test")
    out = [anthropic_event for event in events for anthropic_event in encoder.feed(event)]
    assert encoder.done
    assert encoder.feed({"type": "response.output_text.delta", "delta": "late"}) == []
    for event in out:
        if event["type"] == "error":
            ErrorResponse.model_validate(event)
        else:
            STREAM_EVENT.validate_python(event)
    return out


def accumulate(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The SDK's own accumulator over our events: the message a client ends up with."""
    snapshot = None
    buffers: dict[int, bytes] = {}
    for event in events:
        typed = STREAM_EVENT.validate_python(event)
        snapshot = accumulate_event(event=typed, current_snapshot=snapshot, json_bufs=buffers)
    assert snapshot is not None
    return snapshot.model_dump(mode="json", exclude_none=True)


def sdk_final_message(wire: bytes) -> Message:
    """The SDK's whole streaming path (HTTP, SSE reader, accumulator) over our bytes."""

    def respond(request: httpx2.Request) -> httpx2.Response:
        assert request.url.path == "/v1/messages"
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=wire)

    client = anthropic.Anthropic(
        api_key="sk-test",
        base_url="http://relay.test",
        http_client=httpx2.Client(transport=httpx2.MockTransport(respond)),
        max_retries=0,
    )
    with client.messages.stream(
        model="claude-relay-test", max_tokens=64, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        return stream.get_final_message()


def comparable(message: dict[str, Any]) -> dict[str, Any]:
    return {k: message[k] for k in ("id", "content", "stop_reason", "usage")}


@pytest.mark.parametrize("name", SAMPLES)
def test_real_samples_match_golden_and_the_sdk_agrees(name: str) -> None:
    events = sample_events(name)
    out = encode_all(events)
    assert out == fixture(f"{name}.anthropic.json")
    final = sdk_final_message(b"".join(encode_event(event) for event in out))
    whole = encode_message(events[-1]["response"], message_id="msg_test")
    Message.model_validate(whole)
    assert comparable(final.model_dump(mode="json", exclude_none=True)) == comparable(whole)
    assert final.model == MODEL


def test_encode_event_wire_form() -> None:
    wire = encode_event({"type": "message_stop"})
    assert wire == b'event: message_stop\ndata: {"type":"message_stop"}\n\n'


def test_function_call_sample_split_at_every_byte() -> None:
    raw = (FIXTURES / "sse-sample-function-call.txt").read_bytes()
    expected = encode_all(sample_events("sse-sample-function-call"))
    for cut in range(len(raw) + 1):
        decoder = SSEDecoder()
        encoder = MessagesStreamEncoder(model=MODEL, message_id="msg_test")
        events = [*decoder.feed(raw[:cut]), *decoder.feed(raw[cut:]), *decoder.flush()]
        out = [a for event in events for a in encoder.feed(json.loads(event.data))]
        assert out == expected, cut


REASONING_STREAM: list[dict[str, Any]] = [
    {"type": "response.created", "response": {"id": "resp_r", "output": []}},
    {
        "type": "response.output_item.added",
        "output_index": 0,
        "item": {"type": "reasoning", "id": "rs_1", "summary": []},
    },
    {"type": "response.reasoning_summary_part.added", "output_index": 0, "summary_index": 0},
    {
        "type": "response.reasoning_summary_text.delta",
        "output_index": 0,
        "item_id": "rs_1",
        "summary_index": 0,
        "delta": "Look",
    },
    {
        "type": "response.reasoning_summary_text.delta",
        "output_index": 0,
        "item_id": "rs_1",
        "summary_index": 0,
        "delta": " first.",
    },
    {
        "type": "response.reasoning_summary_text.delta",
        "output_index": 0,
        "item_id": "rs_1",
        "summary_index": 1,
        "delta": "Then act.",
    },
    {
        "type": "response.output_item.done",
        "output_index": 0,
        "item": {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [
                {"type": "summary_text", "text": "Look first."},
                {"type": "summary_text", "text": "Then act."},
            ],
            "encrypted_content": "gAAAA-sig",
        },
    },
    {
        "type": "response.output_item.added",
        "output_index": 1,
        "item": {"type": "message", "id": "msg_1", "role": "assistant", "content": []},
    },
    {
        "type": "response.output_item.done",
        "output_index": 1,
        "item": {"type": "message", "id": "msg_1", "role": "assistant", "content": []},
    },
    {
        "type": "response.output_text.delta",
        "output_index": 2,
        "item_id": "msg_2",
        "content_index": 0,
        "delta": "Hi",
    },
    {
        "type": "response.output_item.done",
        "output_index": 2,
        "item": {
            "type": "message",
            "id": "msg_2",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Hi"}],
        },
    },
    {
        "type": "response.function_call_arguments.delta",
        "output_index": 3,
        "item_id": "fc_1",
        "delta": '{"a":',
    },
    {
        "type": "response.function_call_arguments.delta",
        "output_index": 3,
        "item_id": "fc_1",
        "delta": " 1}",
    },
    {
        "type": "response.output_item.done",
        "output_index": 3,
        "item": {
            "type": "function_call",
            "id": "fc_1",
            "call_id": "call_1",
            "name": "f",
            "arguments": '{"a": 1}',
        },
    },
    {
        "type": "response.incomplete",
        "response": {
            "id": "resp_r",
            "status": "incomplete",
            "incomplete_details": {"reason": "max_output_tokens"},
            "usage": {
                "input_tokens": 1200,
                "input_tokens_details": {"cached_tokens": 1000},
                "output_tokens": 300,
                "output_tokens_details": {"reasoning_tokens": 256},
                "total_tokens": 1500,
            },
        },
    },
]


def test_reasoning_text_and_unannounced_items() -> None:
    out = encode_all(REASONING_STREAM)
    delta = {"type": "content_block_delta"}
    assert out[1:] == [
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "thinking", "thinking": "", "signature": ""},
        },
        {**delta, "index": 0, "delta": {"type": "thinking_delta", "thinking": "Look"}},
        {**delta, "index": 0, "delta": {"type": "thinking_delta", "thinking": " first."}},
        {**delta, "index": 0, "delta": {"type": "thinking_delta", "thinking": "\n\nThen act."}},
        {**delta, "index": 0, "delta": {"type": "signature_delta", "signature": "gAAAA-sig"}},
        {"type": "content_block_stop", "index": 0},
        # the empty message item sends no block; the unannounced one opens at its delta
        {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
        {**delta, "index": 1, "delta": {"type": "text_delta", "text": "Hi"}},
        {"type": "content_block_stop", "index": 1},
        # a tool call with no output_item.added waits for the item that names it
        {
            "type": "content_block_start",
            "index": 2,
            "content_block": {"type": "tool_use", "id": "call_1", "name": "f", "input": {}},
        },
        {**delta, "index": 2, "delta": {"type": "input_json_delta", "partial_json": '{"a": 1}'}},
        {"type": "content_block_stop", "index": 2},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "max_tokens", "stop_sequence": None},
            "usage": {
                "input_tokens": 200,
                "output_tokens": 300,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 1000,
            },
        },
        {"type": "message_stop"},
    ]
    final = accumulate(out)
    assert final["content"][0] == {
        "type": "thinking",
        "thinking": "Look first.\n\nThen act.",
        "signature": "gAAAA-sig",
    }
    assert final["usage"]["input_tokens"] == 200


def test_items_sent_whole_at_done_and_custom_tool_calls() -> None:
    events: list[dict[str, Any]] = [
        {
            "type": "response.output_item.done",
            "output_index": 0,
            "item": {
                "type": "reasoning",
                "id": "rs",
                "summary": [{"type": "summary_text", "text": "S"}],
            },
        },
        {
            "type": "response.output_item.done",
            "output_index": 1,
            "item": {
                "type": "message",
                "id": "m",
                "content": [{"type": "output_text", "text": "T"}],
            },
        },
        {
            "type": "response.output_item.added",
            "output_index": 2,
            "item": {
                "type": "custom_tool_call",
                "id": "ct",
                "call_id": "call_p",
                "name": "apply_patch",
                "input": "",
            },
        },
        {
            "type": "response.custom_tool_call_input.delta",
            "output_index": 2,
            "item_id": "ct",
            "delta": "*** Begin",
        },
        {
            "type": "response.custom_tool_call_input.delta",
            "output_index": 2,
            "item_id": "ct",
            "delta": ' "Patch"',
        },
        {
            "type": "response.output_item.done",
            "output_index": 2,
            "item": {
                "type": "custom_tool_call",
                "id": "ct",
                "call_id": "call_p",
                "name": "apply_patch",
                "input": '*** Begin "Patch"',
            },
        },
        {
            "type": "response.output_item.done",
            "output_index": 3,
            "item": {"type": "web_search_call", "id": "ws", "status": "completed"},
        },
        {"type": "response.completed", "response": {"id": "r", "status": "completed"}},
    ]
    out = encode_all(events)
    assert out[0]["type"] == "message_start"  # made up for a stream with no response.created
    final = accumulate(out)
    assert final["content"] == [
        {"type": "thinking", "thinking": "S", "signature": ""},
        {"type": "text", "text": "T"},
        {
            "type": "tool_use",
            "id": "call_p",
            "name": "apply_patch",
            "input": {"input": '*** Begin "Patch"'},
        },
    ]
    assert final["stop_reason"] == "tool_use"
    assert out[-2]["usage"] == {
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }


def test_events_that_name_no_item_and_a_stream_cut_short() -> None:
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": {"id": "r"}},
        {"type": "response.output_text.delta", "delta": "a"},
        {"type": "response.output_text.delta", "delta": "b"},
        {
            "type": "response.output_item.added",
            "output_index": 1,
            "item": {
                "type": "function_call",
                "id": "fc",
                "call_id": "c",
                "name": "f",
                "arguments": "",
            },
        },
        {
            "type": "response.function_call_arguments.delta",
            "output_index": 1,
            "item_id": "fc",
            "delta": "{}",
        },
        {"type": "response.completed", "response": {"id": "r", "status": "completed"}},
    ]
    final = accumulate(encode_all(events))
    assert final["content"] == [
        {"type": "text", "text": "ab"},
        {"type": "tool_use", "id": "c", "name": "f", "input": {}},
    ]


def test_deltas_go_out_as_they_arrive() -> None:
    """No buffering for announced items: each delta is answered by its own event."""
    encoder = MessagesStreamEncoder(model=MODEL, message_id="msg_test")
    call = {"type": "function_call", "id": "fc", "call_id": "c", "name": "f", "arguments": ""}
    where = {"output_index": 0, "item_id": "fc"}
    assert [e["type"] for e in encoder.feed({"type": "response.created", "response": {}})] == [
        "message_start"
    ]
    started = encoder.feed({"type": "response.output_item.added", "output_index": 0, "item": call})
    assert [e["type"] for e in started] == ["content_block_start"]
    for piece in ('{"a"', ": 1}"):
        delta = {"type": "response.function_call_arguments.delta", **where, "delta": piece}
        assert encoder.feed(delta) == [
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": piece},
            }
        ]
    done = {"type": "response.output_item.done", "output_index": 0, "item": call}
    assert encoder.feed(done) == [{"type": "content_block_stop", "index": 0}]
    assert not encoder.done


def test_refusal_sets_the_stop_reason() -> None:
    events: list[dict[str, Any]] = [
        {"type": "response.refusal.delta", "output_index": 0, "item_id": "m", "delta": "No."},
        {"type": "response.completed", "response": {"id": "r", "status": "completed"}},
    ]
    final = accumulate(encode_all(events))
    assert final["content"] == [{"type": "text", "text": "No."}]
    assert final["stop_reason"] == "refusal"


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (
            {"code": "rate_limit_exceeded", "message": "Please try again in 1.5s."},
            "rate_limit_error",
        ),
        ({"code": "insufficient_quota", "message": "Quota."}, "billing_error"),
        ({"code": "context_length_exceeded", "message": "Too long."}, "invalid_request_error"),
        ({"code": "server_is_overloaded", "message": "Busy."}, "overloaded_error"),
        ({"code": "server_error", "message": "Oops."}, "api_error"),
        ({"type": "invalid_request_error", "message": "Bad."}, "invalid_request_error"),
        ({}, "api_error"),
    ],
)
def test_failed_stream_becomes_an_error_event(error: dict[str, Any], kind: str) -> None:
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": {"id": "r"}},
        {"type": "response.output_text.delta", "output_index": 0, "item_id": "m", "delta": "par"},
        {"type": "response.failed", "response": {"id": "r", "status": "failed", "error": error}},
    ]
    out = encode_all(events)
    assert out[-1] == encode_messages_error(error)
    assert out[-1]["error"]["type"] == kind
    assert out[-1]["error"]["message"] == error.get(
        "message", "The upstream model failed (no error code)."
    )
    with pytest.raises(anthropic.APIStatusError) as caught:
        sdk_final_message(b"".join(encode_event(event) for event in out))
    assert caught.value.body == out[-1]


def test_top_level_error_event() -> None:
    out = encode_all([{"type": "error", "code": "rate_limit_exceeded", "message": "Slow down."}])
    assert out == [
        {"type": "error", "error": {"type": "rate_limit_error", "message": "Slow down."}}
    ]


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        (None, (0, 0, 0, 0)),
        ({"input_tokens": 100, "output_tokens": 20}, (100, 20, 0, 0)),
        (
            {
                "input_tokens": 100,
                "input_tokens_details": {"cached_tokens": 60},
                "output_tokens": 5,
            },
            (40, 5, 0, 60),
        ),
        (
            {
                "input_tokens": 100,
                "input_tokens_details": {"cached_tokens": 60, "cache_write_tokens": 30},
                "output_tokens": 5,
            },
            (10, 5, 30, 60),
        ),
        (
            {
                "input_tokens": 10,
                "input_tokens_details": {"cached_tokens": 60},
                "output_tokens": -1,
            },
            (0, 0, 0, 60),
        ),
    ],
)
def test_usage(usage: dict[str, Any] | None, expected: tuple[int, int, int, int]) -> None:
    got = encode_messages_usage(usage)
    assert (
        got["input_tokens"],
        got["output_tokens"],
        got["cache_creation_input_tokens"],
        got["cache_read_input_tokens"],
    ) == expected


def test_encode_message_stop_reasons_and_bad_arguments() -> None:
    base: dict[str, Any] = {"id": "r", "model": "gpt-5", "status": "completed"}
    text = {"type": "message", "content": [{"type": "output_text", "text": "x"}]}
    call = {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{not json"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({**base, "output": [text]}, "end_turn"),
        ({**base, "output": [text, call]}, "tool_use"),
        (
            {
                **base,
                "status": "incomplete",
                "incomplete_details": {"reason": "max_output_tokens"},
                "output": [text, call],
            },
            "max_tokens",
        ),
        (
            {
                **base,
                "status": "incomplete",
                "incomplete_details": {"reason": "content_filter"},
                "output": [],
            },
            "refusal",
        ),
    ]
    for response, stop_reason in cases:
        message = encode_message(response, message_id="msg_x")
        Message.model_validate(message)
        assert message["stop_reason"] == stop_reason
    assert encode_message(cases[1][0], message_id="m")["content"][1]["input"] == {}


# ------------------------------------------------------------------ round-trip property

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
ITEMS = st.one_of(
    st.builds(lambda text: {"type": "message", "text": text}, st.text(min_size=1, max_size=30)),
    st.builds(
        lambda name, args: {"type": "function_call", "name": name, "args": args},
        st.sampled_from(["Bash", "Read", "exec_command"]),
        st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4),
    ),
    st.builds(
        lambda parts, signature: {"type": "reasoning", "parts": parts, "signature": signature},
        st.lists(st.text(min_size=1, max_size=20), max_size=3),
        st.none()
        | st.text(
            alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789-_=", min_size=1, max_size=24
        ),
    ),
    st.builds(lambda text: {"type": "custom_tool_call", "text": text}, st.text(max_size=30)),
)


def _pieces(data: st.DataObject, text: str) -> list[str]:
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(text)), max_size=4))))
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds) if b > a]


def _hub_item(spec: dict[str, Any], index: int) -> dict[str, Any]:
    kind, item_id = spec["type"], f"item_{index}"
    if kind == "message":
        content = [{"type": "output_text", "text": spec["text"], "annotations": []}]
        return {"type": kind, "id": item_id, "role": "assistant", "content": content}
    if kind == "function_call":
        arguments = json.dumps(spec["args"])
        return {
            "type": kind,
            "id": item_id,
            "call_id": f"call_{index}",
            "name": spec["name"],
            "arguments": arguments,
        }
    if kind == "custom_tool_call":
        return {
            "type": kind,
            "id": item_id,
            "call_id": f"call_{index}",
            "name": "apply_patch",
            "input": spec["text"],
        }
    item = {
        "type": kind,
        "id": item_id,
        "summary": [{"type": "summary_text", "text": p} for p in spec["parts"]],
    }
    if spec["signature"]:
        item["encrypted_content"] = spec["signature"]
    return item


def _item_events(data: st.DataObject, item: dict[str, Any], index: int) -> list[dict[str, Any]]:
    where = {"output_index": index, "item_id": item["id"]}
    kind, events = item["type"], []
    if data.draw(st.booleans(), label="announce"):
        started = {**item, "content": [], "summary": [], "arguments": "", "input": ""}
        started.pop("encrypted_content", None)
        events.append(
            {
                "type": "response.output_item.added",
                "output_index": index,
                "item": {k: started[k] for k in item if k in started},
            }
        )
    if data.draw(st.booleans(), label="stream deltas"):
        if kind == "reasoning":
            for part, summary in enumerate(item["summary"]):
                for piece in _pieces(data, summary["text"]):
                    events.append(
                        {
                            "type": "response.reasoning_summary_text.delta",
                            **where,
                            "summary_index": part,
                            "delta": piece,
                        }
                    )
        else:
            name, text = {
                "message": (
                    "response.output_text.delta",
                    item.get("content", [{}])[0].get("text", ""),
                ),
                "function_call": (
                    "response.function_call_arguments.delta",
                    item.get("arguments", ""),
                ),
                "custom_tool_call": (
                    "response.custom_tool_call_input.delta",
                    item.get("input", ""),
                ),
            }[kind]
            events.extend({"type": name, **where, "delta": piece} for piece in _pieces(data, text))
    events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    return events


def _expected_block(spec: dict[str, Any], index: int) -> dict[str, Any] | None:
    kind = spec["type"]
    if kind == "message":
        return {"type": "text", "text": spec["text"]}
    if kind == "function_call":
        return {
            "type": "tool_use",
            "id": f"call_{index}",
            "name": spec["name"],
            "input": spec["args"],
        }
    if kind == "custom_tool_call":
        return {
            "type": "tool_use",
            "id": f"call_{index}",
            "name": "apply_patch",
            "input": {"input": spec["text"]},
        }
    if not spec["parts"] and not spec["signature"]:
        return None
    return {
        "type": "thinking",
        "thinking": "\n\n".join(spec["parts"]),
        "signature": spec["signature"] or "",
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=st.lists(ITEMS, max_size=5), cached=st.integers(0, 50), data=st.data())
def test_round_trip_property(specs: list[dict[str, Any]], cached: int, data: st.DataObject) -> None:
    """Random output items → Responses events (deltas split anywhere, announced or not) →
    Anthropic events → the SDK's accumulator: the content is the original, and equals the
    non-streaming encoding of the same response."""
    items = [_hub_item(spec, index) for index, spec in enumerate(specs)]
    usage = {
        "input_tokens": 100,
        "input_tokens_details": {"cached_tokens": cached},
        "output_tokens": 7,
    }
    response = {
        "id": "resp_p",
        "model": "gpt-5",
        "status": "completed",
        "output": items,
        "usage": usage,
    }
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": {**response, "output": []}}
    ]
    for index, item in enumerate(items):
        events.extend(_item_events(data, copy.deepcopy(item), index))
    events.append({"type": "response.completed", "response": response})

    out = encode_all(events)
    final = accumulate(out)
    expected = [b for i, s in enumerate(specs) if (b := _expected_block(s, i)) is not None]
    assert final["content"] == expected
    assert [e["index"] for e in out if e["type"] == "content_block_start"] == list(
        range(len(expected))
    )
    tool_used = any(block["type"] == "tool_use" for block in expected)
    assert final["stop_reason"] == ("tool_use" if tool_used else "end_turn")
    assert final["usage"]["input_tokens"] == 100 - cached
    assert comparable(final) == comparable(encode_message(response, message_id="msg_test"))
