"""Chat Completions clients against the hub: request decoding and response encoding."""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import (
    FunctionToolParam,
    ResponseInputItemParam,
    ResponseOutputMessageParam,
    ResponseTextConfigParam,
)
from pydantic import TypeAdapter

from fourk.errors import InvalidRequest
from fourk.protocols.chat.request_decode import DecodedChat, decode_chat_request
from fourk.protocols.chat.stream_encode import (
    DONE,
    ChatStreamEncoder,
    encode_chat_completion,
    encode_chat_usage,
    encode_chunk,
)
from fourk.protocols.sse import SSEFramer, parse_event

FIXTURES = Path(__file__).parent / "fixtures" / "chat_inbound"
ID, CREATED, MODEL = "chatcmpl-1", 1795809800, "gpt-5-codex"
USAGE = {
    "input_tokens": 100,
    "input_tokens_details": {"cached_tokens": 40},
    "output_tokens": 20,
    "output_tokens_details": {"reasoning_tokens": 8},
    "total_tokens": 120,
}
CHAT_USAGE = {
    "prompt_tokens": 100,
    "completion_tokens": 20,
    "total_tokens": 120,
    "prompt_tokens_details": {"cached_tokens": 40},
    "completion_tokens_details": {"reasoning_tokens": 8},
}


def compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# -- request decoding ------------------------------------------------------------------------

INPUT_ITEM = TypeAdapter(ResponseInputItemParam)
OUTPUT_MESSAGE = TypeAdapter(ResponseOutputMessageParam)
FUNCTION_TOOL = TypeAdapter(FunctionToolParam)
TEXT_CONFIG = TypeAdapter(ResponseTextConfigParam)


def check_with_sdk(body: dict[str, Any]) -> None:
    """The openai SDK's own request types accept every piece of the decoded body. (The SDK
    types want an id and a status on assistant history and on reasoning items, which the
    API itself does not: those get placeholder ones just for this check.)"""
    for item in body["input"]:
        if item["type"] == "message" and item["role"] == "assistant":
            OUTPUT_MESSAGE.validate_python({**item, "id": "msg_x", "status": "completed"})
        else:
            INPUT_ITEM.validate_python(
                {"id": "rs_x", **item} if item["type"] == "reasoning" else item
            )
    for tool in body.get("tools", []):
        FUNCTION_TOOL.validate_python(tool)
    if "text" in body:
        TEXT_CONFIG.validate_python(body["text"])


def decode(**body: Any) -> DecodedChat:
    body.setdefault("model", "gpt-x")
    body.setdefault("messages", [{"role": "user", "content": "hi"}])
    return decode_chat_request(body)


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


DECODE_GOLDEN = json.loads((FIXTURES / "decode_golden.json").read_text())


@pytest.mark.parametrize("case", DECODE_GOLDEN, ids=[c["name"] for c in DECODE_GOLDEN])
def test_decode_golden(case: dict[str, Any]) -> None:
    """Multi-turn tool use with reasoning, images and files, system and developer prompts,
    refusals: each request decodes to exactly the stored Responses body."""
    decoded = decode_chat_request(copy.deepcopy(case["request"]))
    assert decoded.body == case["body"]
    assert decoded.include_usage is case["include_usage"]
    assert list(decoded.dropped) == case["dropped"]
    check_with_sdk(decoded.body)


def test_decode_does_not_change_the_request() -> None:
    request = copy.deepcopy(DECODE_GOLDEN[0]["request"])
    decode_chat_request(request)
    assert request == DECODE_GOLDEN[0]["request"]


def test_parameters_map_and_the_rest_is_listed_as_dropped() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    decoded = decode(
        messages=[{"role": "user", "content": "hi", "name": "alice"}],
        max_tokens=10,
        max_completion_tokens=20,
        top_p=0.9,
        reasoning_effort="high",
        verbosity="low",
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "out", "schema": schema, "strict": True},
        },
        tools=[{"type": "function", "function": {"name": "noargs", "strict": True}}],
        tool_choice={"type": "function", "function": {"name": "noargs"}},
        user="u-1",
        metadata={"k": "v"},
        service_tier="flex",
        n=1,
        stop=["\n"],
        seed=7,
        logprobs=True,
        top_logprobs=2,
        presence_penalty=0.1,
        frequency_penalty=0.2,
        logit_bias={"50256": -100},
        store=True,
        stream_options={"include_usage": False, "include_obfuscation": False},
        top_k=40,
    )
    body = decoded.body
    assert body["max_output_tokens"] == 20  # max_completion_tokens wins over max_tokens
    assert body["top_p"] == 0.9
    assert body["reasoning"] == {"effort": "high"}
    assert body["text"] == {
        "format": {"type": "json_schema", "name": "out", "schema": schema, "strict": True},
        "verbosity": "low",
    }
    assert body["tools"] == [
        {
            "type": "function",
            "name": "noargs",
            "parameters": {"type": "object", "properties": {}},
            "strict": True,
        }
    ]
    assert body["tool_choice"] == {"type": "function", "name": "noargs"}
    assert (body["user"], body["metadata"], body["service_tier"]) == ("u-1", {"k": "v"}, "flex")
    assert body["store"] is False
    assert "n" not in body and "stop" not in body
    assert decoded.include_usage is False
    assert decoded.dropped == (
        "messages[].name",
        "store",
        "stop",
        "seed",
        "logprobs",
        "top_logprobs",
        "presence_penalty",
        "frequency_penalty",
        "logit_bias",
        "top_k",
        "stream_options.include_obfuscation",
    )
    check_with_sdk(body)


@pytest.mark.parametrize(
    ("response_format", "expected"),
    [({"type": "json_object"}, {"type": "json_object"}), ({"type": "text"}, {"type": "text"})],
)
def test_simple_response_formats(response_format: dict[str, Any], expected: dict[str, Any]) -> None:
    assert decode(response_format=response_format).body["text"] == {"format": expected}


@pytest.mark.parametrize("choice", ["none", "required", "auto"])
def test_string_tool_choices_pass(choice: str) -> None:
    assert decode(tools=[WEATHER_TOOL], tool_choice=choice).body["tool_choice"] == choice


def test_allowed_tools_choice() -> None:
    choice = {
        "type": "allowed_tools",
        "allowed_tools": {
            "mode": "required",
            "tools": [{"type": "function", "function": {"name": "get_weather"}}],
        },
    }
    assert decode(tools=[WEATHER_TOOL], tool_choice=choice).body["tool_choice"] == {
        "type": "allowed_tools",
        "mode": "required",
        "tools": [{"type": "function", "name": "get_weather"}],
    }


def test_legacy_functions_are_mapped_to_tools_with_stable_call_ids() -> None:
    decoded = decode(
        messages=[
            {"role": "user", "content": "Weather?"},
            {
                "role": "assistant",
                "content": None,
                "function_call": {"name": "get_weather", "arguments": "{}"},
            },
            {"role": "function", "name": "get_weather", "content": "sunny"},
        ],
        functions=[WEATHER_TOOL["function"]],
        function_call={"name": "get_weather"},
    )
    assert decoded.body["input"][1:] == [
        {
            "type": "function_call",
            "call_id": "call_messages_1",
            "name": "get_weather",
            "arguments": "{}",
        },
        {"type": "function_call_output", "call_id": "call_messages_1", "output": "sunny"},
    ]
    assert decoded.body["tools"][0]["name"] == "get_weather"
    assert decoded.body["tool_choice"] == {"type": "function", "name": "get_weather"}
    assert (
        decode(functions=[WEATHER_TOOL["function"]], function_call="none").body["tool_choice"]
        == "none"
    )


def test_object_arguments_are_encoded_as_json_text() -> None:
    call = {"id": "c", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}
    decoded = decode(
        messages=[{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [call]}]
    )
    assert decoded.body["input"][1]["arguments"] == '{"a":1}'


USER = {"role": "user", "content": "hi"}
REJECTIONS: list[tuple[dict[str, Any], str | None, str]] = [
    ({"model": None}, "model", "'model'"),
    ({"model": 3}, "model", "'model'"),
    ({"messages": []}, "messages", "non-empty"),
    ({"messages": "hi"}, "messages", "non-empty"),
    ({"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role", "'robot'"),
    ({"messages": ["hi"]}, "messages[0].role", "must be one of"),
    ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content", "string or a list"),
    (
        {"messages": [{"role": "system", "content": [{"type": "image_url"}]}]},
        "messages[0].content",
        "text",
    ),
    (
        {"messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]},
        "messages[0].content[0]",
        "Audio input",
    ),
    (
        {"messages": [{"role": "user", "content": [{"type": "video"}]}]},
        "messages[0].content[0]",
        "not a valid",
    ),
    (
        {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]},
        "messages[0].content[0]",
        "image_url",
    ),
    (
        {"messages": [USER, {"role": "tool", "content": "x"}]},
        "messages[1].tool_call_id",
        "tool_call_id",
    ),
    (
        {"messages": [USER, {"role": "function", "name": "f", "content": "x"}]},
        "messages[1].name",
        "no earlier",
    ),
    ({"messages": [USER, {"role": "assistant", "content": 1}]}, "messages[1].content", "refusal"),
    (
        {"messages": [USER, {"role": "assistant", "audio": {"id": "a"}}]},
        "messages[1].audio",
        "transcript",
    ),
    (
        {"messages": [USER, {"role": "assistant", "tool_calls": {}}]},
        "messages[1].tool_calls",
        "list",
    ),
    (
        {
            "messages": [
                USER,
                {
                    "role": "assistant",
                    "tool_calls": [{"type": "function", "function": {"name": "f"}}],
                },
            ]
        },
        "messages[1].tool_calls[0].id",
        "required",
    ),
    (
        {
            "messages": [
                USER,
                {"role": "assistant", "tool_calls": [{"id": "c", "type": "custom", "custom": {}}]},
            ]
        },
        "messages[1].tool_calls[0]",
        "function",
    ),
    (
        {
            "messages": [
                USER,
                {
                    "role": "assistant",
                    "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": 1}}],
                },
            ]
        },
        "messages[1].tool_calls[0].function.arguments",
        "string of JSON",
    ),
    ({"n": 2}, "n", "one choice"),
    ({"audio": {"voice": "alloy"}}, "audio", "not supported"),
    ({"modalities": ["text", "audio"]}, "modalities", "text"),
    ({"web_search_options": {}}, "web_search_options", "not supported"),
    ({"stream": "yes"}, "stream", "true or false"),
    ({"temperature": "hot"}, "temperature", "number"),
    ({"max_tokens": 0}, "max_tokens", "positive integer"),
    ({"max_completion_tokens": True}, "max_completion_tokens", "positive integer"),
    ({"reasoning_effort": 3}, "reasoning_effort", "string"),
    ({"metadata": []}, "metadata", "object"),
    ({"response_format": {"type": "yaml"}}, "response_format.type", "json_schema"),
    ({"response_format": {"type": "json_schema"}}, "response_format.json_schema", "name"),
    ({"tools": {}}, "tools", "list"),
    ({"tools": [{"type": "custom", "custom": {"name": "x"}}]}, "tools[0]", "Other tool types"),
    ({"tools": [{"type": "function", "function": {}}]}, "tools[0].function", "name"),
    (
        {"tools": [{"type": "function", "function": {"name": "f", "parameters": "x"}}]},
        "tools[0].function.parameters",
        "JSON Schema",
    ),
    ({"tools": [WEATHER_TOOL], "functions": []}, "functions", "not both"),
    ({"functions": {}}, "functions", "list"),
    ({"tool_choice": "any"}, "tool_choice", "'auto'"),
    ({"tool_choice": {"type": "function", "function": {}}}, "tool_choice", "'auto'"),
    ({"tool_choice": "auto", "function_call": "auto"}, "function_call", "not both"),
    ({"function_call": "sometimes"}, "function_call", "'auto'"),
    ({"stream_options": True}, "stream_options", "object"),
]


@pytest.mark.parametrize(("change", "param", "fragment"), REJECTIONS)
def test_bad_requests_are_rejected_with_the_parameter(
    change: dict[str, Any], param: str | None, fragment: str
) -> None:
    body: dict[str, Any] = {"model": "gpt-x", "messages": [USER], **change}
    with pytest.raises(InvalidRequest) as caught:
        decode_chat_request(body)
    assert caught.value.param == param
    assert fragment in caught.value.message
    assert caught.value.status == 400


def test_a_non_object_body_is_rejected() -> None:
    with pytest.raises(InvalidRequest, match="JSON object"):
        decode_chat_request([])  # type: ignore[arg-type]


# -- stream encoding -------------------------------------------------------------------------


def sample_events(name: str) -> list[dict[str, Any]]:
    framer = SSEFramer()
    blocks = framer.feed((FIXTURES / name).read_bytes())
    assert framer.flush() == b""
    events = [parse_event(block) for block in blocks]
    return [json.loads(e.data) for e in events if e is not None]


def run(events: list[dict[str, Any]], include_usage: bool = False) -> list[dict[str, Any]]:
    encoder = ChatStreamEncoder(
        model=MODEL, chat_id=ID, created=CREATED, include_usage=include_usage
    )
    chunks = [chunk for event in events for chunk in encoder.feed(event)]
    for chunk in chunks:
        if "error" not in chunk:
            ChatCompletionChunk.model_validate(chunk)
    return chunks


def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
    return {
        "id": ID,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": MODEL,
        "choices": [choice],
        **extra,
    }


def test_message_sample_golden() -> None:
    pieces = ["Command ", "finished", ". Output", " seen by", " gateway", ": gatewa", "y-ok"]
    assert run(sample_events("sse-sample-message.txt")) == [
        chunk({"role": "assistant", "content": ""}),
        *[chunk({"content": piece}) for piece in pieces],
        chunk({}, "stop"),
    ]


def test_function_call_sample_golden_with_usage() -> None:
    call = {"id": "call_f9145529d2bc434ebfefbc69", "type": "function"}
    assert run(sample_events("sse-sample-function-call.txt"), include_usage=True) == [
        chunk({"role": "assistant", "content": ""}, usage=None),
        chunk(
            {
                "tool_calls": [
                    {"index": 0, **call, "function": {"name": "exec_command", "arguments": ""}}
                ]
            },
            usage=None,
        ),
        chunk(
            {"tool_calls": [{"index": 0, "function": {"arguments": '{"cmd": "echo gateway-ok"}'}}]},
            usage=None,
        ),
        chunk({}, "tool_calls", usage=None),
        {
            "id": ID,
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": MODEL,
            "choices": [],
            "usage": {
                "prompt_tokens": 100,
                "completion_tokens": 20,
                "total_tokens": 120,
                "prompt_tokens_details": {"cached_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0},
            },
        },
    ]


@pytest.mark.parametrize("name", ["sse-sample-message.txt", "sse-sample-function-call.txt"])
def test_samples_give_the_same_chunks_at_every_byte_split(name: str) -> None:
    raw = (FIXTURES / name).read_bytes()
    whole = run(sample_events(name))
    for cut in range(0, len(raw), 7):
        framer = SSEFramer()
        blocks = framer.feed(raw[:cut]) + framer.feed(raw[cut:])
        events = [parse_event(b) for b in blocks]
        assert run([json.loads(e.data) for e in events if e is not None]) == whole


def test_done_only_stream_like_codex_minimal() -> None:
    item = {
        "type": "function_call",
        "call_id": "call_1",
        "name": "exec_command",
        "arguments": '{"cmd":"ls"}',
    }
    events = [
        {"type": "response.output_item.done", "item": item},
        {"type": "response.completed", "response": {"id": "r1"}},
    ]
    assert run(events) == [
        chunk(
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "exec_command", "arguments": ""},
                    }
                ],
            }
        ),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"cmd":"ls"}'}}]}),
        chunk({}, "tool_calls"),
    ]


def test_deltas_before_the_item_is_announced_are_held_then_sent() -> None:
    item = {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "call_1",
        "name": "f",
        "arguments": '{"a":1}',
    }
    events = [
        {
            "type": "response.function_call_arguments.delta",
            "item_id": "fc_1",
            "output_index": 0,
            "delta": '{"a"',
        },
        {
            "type": "response.output_text.delta",
            "item_id": "msg_1",
            "output_index": 1,
            "delta": "hi",
        },
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {"type": "response.completed", "response": {"id": "r", "output": [item]}},
    ]
    chunks = run(events)
    assert [c["choices"][0]["delta"] for c in chunks] == [
        {"role": "assistant", "content": "hi"},
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "f", "arguments": ""},
                }
            ]
        },
        {"tool_calls": [{"index": 0, "function": {"arguments": '{"a"'}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": ":1}"}}]},
        {},
    ]
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_custom_tool_call_becomes_a_function_call_with_input_json() -> None:
    patch = '*** Begin Patch\n"quoted" \\ tab\t\n*** End Patch'
    item = {
        "type": "custom_tool_call",
        "id": "ct_1",
        "call_id": "call_p",
        "name": "apply_patch",
        "input": patch,
    }
    events = [
        {"type": "response.output_item.added", "output_index": 0, "item": {**item, "input": ""}},
        *[
            {
                "type": "response.custom_tool_call_input.delta",
                "item_id": "ct_1",
                "output_index": 0,
                "delta": patch[i : i + 5],
            }
            for i in range(0, len(patch), 5)
        ],
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {"type": "response.completed", "response": {"id": "r"}},
    ]
    calls = reassemble(run(events))["tool_calls"]
    assert calls == [
        {"id": "call_p", "name": "apply_patch", "arguments": compact({"input": patch})}
    ]
    assert json.loads(calls[0]["arguments"]) == {"input": patch}


def test_reasoning_summary_parts_are_separated_like_the_whole_encoding() -> None:
    item = {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [
            {"type": "summary_text", "text": "First."},
            {"type": "summary_text", "text": "Second."},
        ],
    }
    events = [
        {
            "type": "response.reasoning_summary_text.delta",
            "item_id": "rs_1",
            "output_index": 0,
            "summary_index": 0,
            "delta": "Fir",
        },
        {
            "type": "response.reasoning_summary_text.delta",
            "item_id": "rs_1",
            "output_index": 0,
            "summary_index": 0,
            "delta": "st.",
        },
        {
            "type": "response.reasoning_summary_text.delta",
            "item_id": "rs_1",
            "output_index": 0,
            "summary_index": 1,
            "delta": "Second.",
        },
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {
            "type": "response.completed",
            "response": {"id": "r", "status": "completed", "output": [item]},
        },
    ]
    assert reassemble(run(events))["reasoning_content"] == "First.\n\nSecond."
    whole = encode_chat_completion({"output": [item]}, chat_id=ID, created=CREATED)
    assert whole["choices"][0]["message"]["reasoning_content"] == "First.\n\nSecond."


def test_raw_reasoning_text_and_refusal_deltas() -> None:
    events = [
        {
            "type": "response.reasoning_text.delta",
            "item_id": "rs",
            "content_index": 0,
            "delta": "think",
        },
        {"type": "response.refusal.delta", "item_id": "m", "content_index": 0, "delta": "no"},
        {"type": "response.completed", "response": {"id": "r"}},
    ]
    assert [c["choices"][0]["delta"] for c in run(events)] == [
        {"role": "assistant", "reasoning_content": "think"},
        {"refusal": "no"},
        {},
    ]


def test_completed_output_fills_in_what_no_event_carried() -> None:
    message = {
        "type": "message",
        "id": "m",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "Hello there"}],
    }
    events = [
        {"type": "response.output_text.delta", "item_id": "m", "output_index": 0, "delta": "Hello"},
        {
            "type": "response.completed",
            "response": {"id": "r", "output": [message], "usage": USAGE},
        },
    ]
    chunks = run(events, include_usage=True)
    assert [c["choices"][0]["delta"] for c in chunks[:-1]] == [
        {"role": "assistant", "content": "Hello"},
        {"content": " there"},
        {},
    ]
    assert chunks[-1]["usage"] == CHAT_USAGE


@pytest.mark.parametrize(
    ("reason", "finish"),
    [("max_output_tokens", "length"), ("content_filter", "content_filter"), ("other", "stop")],
)
def test_incomplete_finish_reasons(reason: str, finish: str) -> None:
    events = [
        {"type": "response.output_text.delta", "item_id": "m", "delta": "cut"},
        {
            "type": "response.incomplete",
            "response": {"id": "r", "incomplete_details": {"reason": reason}},
        },
    ]
    assert run(events)[-1]["choices"][0]["finish_reason"] == finish


def test_failed_becomes_an_error_chunk_and_ends_the_stream() -> None:
    encoder = ChatStreamEncoder(model=MODEL, chat_id=ID, created=CREATED, include_usage=True)
    assert encoder.feed({"type": "response.output_text.delta", "item_id": "m", "delta": "par"})
    assert not encoder.done
    error = {"code": "rate_limit_exceeded", "message": "Slow down. Please try again in 2s."}
    assert encoder.feed({"type": "response.failed", "response": {"id": "r", "error": error}}) == [
        {
            "error": {
                "message": error["message"],
                "type": "server_error",
                "code": "rate_limit_exceeded",
                "param": None,
            }
        }
    ]
    assert encoder.done
    assert encoder.feed({"type": "response.completed", "response": {"id": "r"}}) == []


def test_top_level_error_event_becomes_an_error_chunk() -> None:
    chunks = run([{"type": "error", "code": "server_error", "message": "boom", "param": None}])
    assert chunks == [
        {
            "error": {
                "message": "boom",
                "type": "server_error",
                "code": "server_error",
                "param": None,
            }
        }
    ]


def test_failed_without_details_still_says_something() -> None:
    chunks = run([{"type": "response.failed", "response": {"id": "r"}}])
    assert chunks[0]["error"]["message"]


def test_sse_helpers() -> None:
    assert encode_chunk({"a": 1}) == b'data: {"a":1}\n\n'
    assert DONE == b"data: [DONE]\n\n"


def test_usage_mapping() -> None:
    assert encode_chat_usage(USAGE) == CHAT_USAGE
    assert encode_chat_usage(None) is None
    assert encode_chat_usage({"input_tokens": 3, "output_tokens": 4}) == {
        "prompt_tokens": 3,
        "completion_tokens": 4,
        "total_tokens": 7,
    }


# -- whole responses -------------------------------------------------------------------------


def test_whole_completion_golden() -> None:
    """Reasoning, text, a function call and a custom tool call in one response."""
    golden = json.loads((FIXTURES / "completion_golden.json").read_text())
    completion = encode_chat_completion(golden["response"], **golden["kwargs"])
    assert completion == golden["completion"]
    ChatCompletion.model_validate(completion)
    message = completion["choices"][0]["message"]
    assert json.loads(message["tool_calls"][1]["function"]["arguments"]) == {"input": "x\ny"}


def test_whole_completion_without_text_has_null_content_and_length_finish() -> None:
    response = {
        "model": "m",
        "status": "incomplete",
        "incomplete_details": {"reason": "max_output_tokens"},
        "output": [],
    }
    completion = encode_chat_completion(response, chat_id=ID, created=CREATED)
    ChatCompletion.model_validate(completion)
    assert completion["choices"][0]["message"]["content"] is None
    assert completion["choices"][0]["finish_reason"] == "length"
    assert completion["model"] == "m"
    assert completion["usage"] is None


# -- the round trip --------------------------------------------------------------------------


def reassemble(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """What a Chat client builds from the chunks: text, reasoning and calls by index."""
    content, reasoning, calls = "", "", {}
    for c in chunks:
        for choice in c["choices"]:
            delta = choice["delta"]
            content += delta.get("content") or ""
            reasoning += delta.get("reasoning_content") or ""
            for call in delta.get("tool_calls", []):
                slot = calls.setdefault(call["index"], {"id": None, "name": None, "arguments": ""})
                slot["id"] = call.get("id", slot["id"])
                function = call.get("function", {})
                slot["name"] = function.get("name", slot["name"])
                slot["arguments"] += function.get("arguments", "")
    assert sorted(calls) == list(range(len(calls)))
    return {
        "content": content,
        "reasoning_content": reasoning,
        "tool_calls": [calls[i] for i in sorted(calls)],
    }


texts = st.text(min_size=1, max_size=30)
items = st.one_of(
    st.builds(
        lambda t: {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": t}],
        },
        texts,
    ),
    st.builds(
        lambda parts: {
            "type": "reasoning",
            "summary": [{"type": "summary_text", "text": p} for p in parts],
        },
        st.lists(texts, min_size=1, max_size=3),
    ),
    st.builds(
        lambda n, a: {"type": "function_call", "name": n, "arguments": json.dumps(a)},
        texts,
        st.dictionaries(texts, texts, max_size=3),
    ),
    st.builds(lambda n, t: {"type": "custom_tool_call", "name": n, "input": t}, texts, texts),
)


def split(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts} | {0, len(text)})
    return [text[a:b] for a, b in itertools.pairwise(points) if b > a]


def events_for(output: list[dict[str, Any]], cuts: list[int], mode: str) -> list[dict[str, Any]]:
    """A Responses stream that yields `output`; mode picks how much of it is streamed:
    `full` (added, deltas, done), `no_added` (deltas then done) or `done_only`."""
    events: list[dict[str, Any]] = [{"type": "response.created", "response": {"id": "r"}}]
    for index, item in enumerate(output):
        at = {"item_id": item["id"], "output_index": index}
        if mode == "full":
            start = (
                {**item, "arguments": ""}
                if item["type"] == "function_call"
                else {**item, "input": ""}
            )
            events.append(
                {"type": "response.output_item.added", "output_index": index, "item": start}
            )
        if mode != "done_only":
            events.extend(deltas_for(item, at, cuts))
        events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    response = {"id": "r", "status": "completed", "output": output, "usage": USAGE}
    events.append({"type": "response.completed", "response": response})
    return events


def deltas_for(item: dict[str, Any], at: dict[str, Any], cuts: list[int]) -> list[dict[str, Any]]:
    kind = item["type"]
    if kind == "message":
        text = item["content"][0]["text"]
        return [
            {"type": "response.output_text.delta", **at, "content_index": 0, "delta": p}
            for p in split(text, cuts)
        ]
    if kind == "reasoning":
        return [
            {"type": "response.reasoning_summary_text.delta", **at, "summary_index": i, "delta": p}
            for i, part in enumerate(item["summary"])
            for p in split(part["text"], cuts)
        ]
    if kind == "function_call":
        return [
            {"type": "response.function_call_arguments.delta", **at, "delta": p}
            for p in split(item["arguments"], cuts)
        ]
    return [
        {"type": "response.custom_tool_call_input.delta", **at, "delta": p}
        for p in split(item["input"], cuts)
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    output=st.lists(items, max_size=5),
    cuts=st.lists(st.integers(min_value=0, max_value=40), max_size=6),
    mode=st.sampled_from(["full", "no_added", "done_only"]),
)
def test_round_trip_stream_matches_whole_encoding(
    output: list[dict[str, Any]], cuts: list[int], mode: str
) -> None:
    output = copy.deepcopy(output)
    for n, item in enumerate(output):
        item["id"] = f"item_{n}"
        if item["type"] in ("function_call", "custom_tool_call"):
            item["call_id"] = f"call_{n}"
    chunks = run(events_for(output, cuts, mode), include_usage=True)
    got = reassemble(chunks)
    expected_calls = [
        {
            "id": item["call_id"],
            "name": item["name"],
            "arguments": item["arguments"]
            if item["type"] == "function_call"
            else compact({"input": item["input"]}),
        }
        for item in output
        if item["type"] != "message" and item["type"] != "reasoning"
    ]
    assert got["content"] == "".join(
        i["content"][0]["text"] for i in output if i["type"] == "message"
    )
    assert got["tool_calls"] == expected_calls
    for call in got["tool_calls"]:
        json.loads(call["arguments"])  # every call's arguments are whole JSON
    whole = encode_chat_completion(
        {"output": output, "status": "completed"}, chat_id=ID, created=CREATED
    )
    message = whole["choices"][0]["message"]
    assert got["content"] == (message["content"] or "")
    assert got["reasoning_content"] == message.get("reasoning_content", "")
    assert [
        (c["id"], c["function"]["name"], c["function"]["arguments"])
        for c in message.get("tool_calls", [])
    ] == [(c["id"], c["name"], c["arguments"]) for c in got["tool_calls"]]
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finishes[:-1] == [None] * (len(finishes) - 1)
    assert finishes[-1] == whole["choices"][0]["finish_reason"]
    assert chunks[-1] == {**chunks[-1], "choices": [], "usage": CHAT_USAGE}
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert all("role" not in c["choices"][0]["delta"] for c in chunks[1:] if c["choices"])
