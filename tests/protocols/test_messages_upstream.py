"""Codex on Anthropic: Responses requests → Messages requests, Anthropic streams → Responses
events. Golden files live in fixtures/messages_upstream; set FOURK_UPDATE_GOLDEN=1 to
rewrite them after a deliberate change (and read the diff)."""

from __future__ import annotations

import copy
import itertools
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import anthropic.types
import openai.types.responses
import pytest
from anthropic.types.message_create_params import MessageCreateParamsStreaming
from anthropic.types.shared import ErrorResponse
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from fourk.errors import InvalidRequest
from fourk.protocols.hub.tools import ToolSet, flatten_tools
from fourk.protocols.messages.request_encode import (
    INTERRUPTED,
    EncodedMessages,
    encode_messages_request,
)
from fourk.protocols.messages.stream_decode import (
    BLOB_PREFIX,
    MessagesStreamDecoder,
    decode_message,
    decode_messages_error,
    decode_thinking_blob,
    encode_thinking_blob,
)
from fourk.protocols.sse import SSEDecoder, parse_event, split_blocks

FIXTURES = Path(__file__).parent / "fixtures" / "messages_upstream"
UPDATE = os.environ.get("FOURK_UPDATE_GOLDEN") == "1"
MODEL = "claude-sonnet-4-5"

RESPONSES_EVENT: TypeAdapter[Any] = TypeAdapter(openai.types.responses.ResponseStreamEvent)
ANTHROPIC_EVENT: TypeAdapter[Any] = TypeAdapter(anthropic.types.RawMessageStreamEvent)
ANTHROPIC_REQUEST: TypeAdapter[Any] = TypeAdapter(MessageCreateParamsStreaming)
TERMINAL = ("response.completed", "response.incomplete", "response.failed")
CODEX_CODES = ("context_length_exceeded", "server_is_overloaded", "insufficient_quota")

TOOLS: list[dict[str, Any]] = json.loads((FIXTURES / "tool_history.request.json").read_text())[
    "tools"
]
TOOLSET = flatten_tools(TOOLS)


# -- helpers -------------------------------------------------------------------------------


def golden(name: str, value: object) -> None:
    path = FIXTURES / name
    if UPDATE:
        path.write_text(json.dumps(value, indent=1, ensure_ascii=False) + "\n")
    assert value == json.loads(path.read_text()), f"differs from {name}"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def consume(value: object) -> None:
    """Walk a pydantic-validated TypedDict, so its lazily validated iterables are checked."""
    if isinstance(value, dict):
        for inner in value.values():
            consume(inner)
    elif isinstance(value, Iterable) and not isinstance(value, str | bytes):
        for inner in value:
            consume(inner)


def valid_anthropic_request(body: dict[str, Any]) -> None:
    """The body fits the Anthropic SDK's request types (field names, literals, required)."""
    request = dict(body, stream=True)
    consume(ANTHROPIC_REQUEST.validate_python(request))
    messages = body["messages"]
    assert messages[0]["role"] == "user" and messages[-1]["role"] == "user"
    assert all(a["role"] != b["role"] for a, b in itertools.pairwise(messages))
    for earlier, later in itertools.pairwise(messages):
        calls = [b["id"] for b in earlier["content"] if b["type"] == "tool_use"]
        if calls:
            results = [b["tool_use_id"] for b in later["content"] if b["type"] == "tool_result"]
            assert results == calls
            assert [b["type"] for b in later["content"][: len(calls)]] == ["tool_result"] * len(
                calls
            )
    blocks = [b for m in messages for b in m["content"]]
    marks = [b for b in [*body.get("system", []), *body.get("tools", []), *blocks]]
    assert sum("cache_control" in b for b in marks) <= 4


def encode(body: dict[str, Any], **options: Any) -> EncodedMessages:
    encoded = encode_messages_request(body, model=MODEL, options=options)
    valid_anthropic_request(encoded.body)
    return encoded


def request(*items: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"model": "gpt-5-codex", "input": list(items), "tools": TOOLS, **fields}


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def assistant(text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text}],
    }


def call(
    call_id: str, name: str = "exec_command", arguments: str = '{"cmd": "ls"}'
) -> dict[str, Any]:
    return {"type": "function_call", "call_id": call_id, "name": name, "arguments": arguments}


def output(call_id: str, text: str = "ok") -> dict[str, Any]:
    return {"type": "function_call_output", "call_id": call_id, "output": text}


def stream_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def new_decoder(tools: ToolSet = TOOLSET) -> MessagesStreamDecoder:
    return MessagesStreamDecoder(
        response_id="resp_abc", model="gpt-5-codex", created_at=1_800_000_000, tools=tools
    )


def decode(
    data: bytes, chunks: Iterable[bytes] | None = None
) -> tuple[list[Any], MessagesStreamDecoder]:
    sse, decoder = SSEDecoder(), new_decoder()
    events: list[Any] = []
    for chunk in chunks if chunks is not None else [data]:
        for event in sse.feed(chunk):
            events += decoder.feed(event)
    for event in sse.flush():
        events += decoder.feed(event)
    return events + decoder.finish(), decoder


def checked(events: list[Any]) -> list[Any]:
    """Every event is a valid Responses event, numbered in order, with one terminal last."""
    for event in events:
        RESPONSES_EVENT.validate_python(sdk_codes(event))
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    terminals = [e for e in events if e["type"] in TERMINAL]
    if terminals:
        assert len(terminals) == 1 and events[-1] is terminals[0]
        openai.types.responses.Response.model_validate(sdk_codes(terminals[0])["response"])
    return events


def sdk_codes(event: dict[str, Any]) -> dict[str, Any]:
    """The event with Codex's own error codes (which the OpenAI SDK's enum lacks, see the
    wire-protocol reference §2.4) replaced by `server_error`, so the rest can be checked."""
    error = (event.get("response") or {}).get("error")
    if not error or error["code"] not in CODEX_CODES:
        return event
    response = dict(event["response"], error=dict(error, code="server_error"))
    return dict(event, response=response)


# -- fixtures are real shapes --------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["text.sse", "thinking_tool.sse", "max_tokens.sse", "error.sse", "cut.sse"]
)
def test_stream_fixtures_are_anthropic_events(name: str) -> None:
    for block in split_blocks(stream_bytes(name)):
        event = parse_event(block)
        assert event is not None
        data = json.loads(event.data)
        assert data["type"] == event.event
        if data["type"] == "error":
            ErrorResponse.model_validate(data)
        elif data["type"] != "ping":
            ANTHROPIC_EVENT.validate_python(data)


def test_message_fixture_is_an_anthropic_message() -> None:
    anthropic.types.Message.model_validate(load("message.json"))


# -- requests ------------------------------------------------------------------------------


def test_codex_sample_request() -> None:
    encoded = encode(load("codex_request.json"))
    golden("codex_request.anthropic.json", encoded.body)
    body = encoded.body
    assert [b["text"][:10] for b in body["system"]] == ["<16979 cha", "<2116 char", "<341 chara"]
    assert body["messages"][0]["content"][-1]["text"] == "say hi"
    assert "multi_agent_v1__spawn_agent" in [t["name"] for t in body["tools"]]
    assert encoded.dropped == ("web_search",)
    assert "thinking" not in body and body["max_tokens"] == 8192 and body["stream"] is True
    for name in ("store", "include", "prompt_cache_key", "client_metadata", "reasoning"):
        assert name not in body


def test_history_with_tool_calls() -> None:
    encoded = encode(load("tool_history.request.json"))
    golden("tool_history.anthropic.json", encoded.body)
    body = encoded.body
    assert body["system"][-1]["text"] == "Approval policy changed: never."  # moved up
    assert body["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    assert encoded.dropped == (
        "web_search",
        "reasoning",
        "compaction",
        "thinking (the last tool call was made without thinking)",
    )
    assert body["temperature"] == 0.7  # kept, as thinking is off
    last = body["messages"][-1]["content"]
    assert last[0] == {"type": "tool_result", "tool_use_id": "call_make", "content": INTERRUPTED}
    assert last[-1]["text"] == "Output of tool call call_unknown:\nlate output"


def test_custom_and_namespace_calls() -> None:
    patch = "*** Begin Patch\n*** Add File: a.txt\n+a\n*** End Patch\n"
    body = encode(
        request(
            user("go"),
            {"type": "custom_tool_call", "call_id": "c1", "name": "apply_patch", "input": patch},
            call("c2", "spawn_agent", '{"task": "x"}') | {"namespace": "multi_agent_v1"},
            {"type": "custom_tool_call_output", "call_id": "c1", "output": "Success."},
            output("c2", "started"),
        )
    ).body
    uses = body["messages"][1]["content"]
    assert uses == [
        {"type": "tool_use", "id": "c1", "name": "apply_patch", "input": {"input": patch}},
        {
            "type": "tool_use",
            "id": "c2",
            "name": "multi_agent_v1__spawn_agent",
            "input": {"task": "x"},
        },
    ]
    assert [b["content"] for b in body["messages"][2]["content"]] == ["Success.", "started"]


def test_arguments_that_are_not_an_object_are_kept_raw() -> None:
    for arguments, expected in [
        ("[1, 2]", {"_raw": "[1, 2]"}),
        ("{oops", {"_raw": "{oops"}),
        ("", {}),
        ('{"cmd": "ls"}', {"cmd": "ls"}),
    ]:
        body = encode(request(user("go"), call("c1", arguments=arguments), output("c1"))).body
        assert body["messages"][1]["content"][0]["input"] == expected


def test_alternation_repairs() -> None:
    body = encode(
        request(assistant("earlier answer"), user("a"), user("b"), assistant("c"), assistant("d"))
    ).body
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "(continued)"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "earlier answer"}]},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "a"},
                {"type": "text", "text": "b", "cache_control": {"type": "ephemeral"}},
            ],
        },
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "c"}, {"type": "text", "text": "d"}],
        },
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "(continue)", "cache_control": {"type": "ephemeral"}}
            ],
        },
    ]


def test_unanswered_and_misplaced_calls() -> None:
    body = encode(
        request(
            user("go"),
            call("a"),
            call("b"),
            output("b", "B"),
            user("hm"),
            output("a", "A late"),  # in the same user turn: still an answer, put first
            call("c"),
        )
    ).body
    answers = body["messages"][2]["content"]
    assert [(b["type"], b.get("tool_use_id")) for b in answers] == [
        ("tool_result", "a"),
        ("tool_result", "b"),
        ("text", None),
    ]
    assert answers[0]["content"] == "A late"
    final = body["messages"][-1]["content"]
    assert final[0]["tool_use_id"] == "c" and final[0]["content"] == INTERRUPTED


def test_odd_call_ids_pair_up() -> None:
    body = encode(request(user("go"), call("functions.exec:0"), output("functions.exec:0"))).body
    use, result = body["messages"][1]["content"][0], body["messages"][2]["content"][0]
    assert use["id"] == result["tool_use_id"]
    assert use["id"].startswith("functions_exec_0_")


def test_images() -> None:
    image = {"type": "input_image", "image_url": "data:image/jpg;base64,/9j/4AAQ", "detail": "low"}
    remote = {"type": "input_image", "image_url": "https://example.com/a.webp"}
    item = {"type": "message", "role": "user", "content": [image, remote]}
    content = encode(request(item)).body["messages"][0]["content"]
    assert content[0] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"},
    }
    assert content[1]["source"] == {"type": "url", "url": "https://example.com/a.webp"}


@pytest.mark.parametrize(
    ("part", "words"),
    [
        ({"type": "input_image", "file_id": "file_1"}, "file_id"),
        ({"type": "input_image", "image_url": "data:image/tiff;base64,AAAA"}, "image/tiff"),
        ({"type": "input_image", "image_url": "ftp://x/y.png"}, "base64 data: URL"),
    ],
)
def test_images_anthropic_cannot_take(part: dict[str, Any], words: str) -> None:
    item = {"type": "message", "role": "user", "content": [part]}
    with pytest.raises(InvalidRequest, match=words) as info:
        encode_messages_request(request(item), model=MODEL)
    assert info.value.param == "input[0].content[0]"


def test_bad_requests_say_what_to_fix() -> None:
    with pytest.raises(InvalidRequest, match="previous_response_id"):
        encode_messages_request(request(user("a"), previous_response_id="resp_1"), model=MODEL)
    with pytest.raises(InvalidRequest, match="role must be"):
        encode_messages_request(request({"role": "tool", "content": "x"}), model=MODEL)
    with pytest.raises(InvalidRequest, match="call_id is required") as info:
        encode_messages_request(
            request(user("a"), {"type": "function_call", "name": "x"}), model=MODEL
        )
    assert info.value.param == "input[1]"
    with pytest.raises(InvalidRequest, match="max_output_tokens"):
        encode_messages_request(request(user("a"), max_output_tokens=0), model=MODEL)


def test_unknown_items_and_foreign_reasoning_are_skipped() -> None:
    encoded = encode(
        request(
            user("a"),
            {"type": "reasoning", "summary": [], "encrypted_content": "gAAAA-openai"},
            {"type": "reasoning", "summary": [], "encrypted_content": BLOB_PREFIX + "!!bad"},
            {"type": "compaction", "encrypted_content": "x"},
            {"type": "item_reference", "id": "x"},
            assistant("b"),
            user("c"),
        )
    )
    assert encoded.dropped == ("web_search", "reasoning", "compaction", "item_reference")
    assert [m["role"] for m in encoded.body["messages"]] == ["user", "assistant", "user"]


def test_string_input_and_no_tools() -> None:
    body = encode({"model": "m", "input": "hello", "instructions": "Be brief."}).body
    assert body["messages"] == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "hello", "cache_control": {"type": "ephemeral"}}],
        }
    ]
    assert "tools" not in body and "tool_choice" not in body


def test_tool_history_without_tools_gets_stubs() -> None:
    body = encode({"model": "m", "input": [user("a"), call("c1"), output("c1")]}).body
    assert [t["name"] for t in body["tools"]] == ["exec_command"]
    assert body["tool_choice"] == {"type": "none"}


@pytest.mark.parametrize(
    ("choice", "parallel", "expected"),
    [
        ("auto", True, {"type": "auto"}),
        ("required", None, {"type": "any"}),
        ("none", False, {"type": "none"}),
        (
            {"type": "function", "name": "exec_command"},
            False,
            {"type": "tool", "name": "exec_command", "disable_parallel_tool_use": True},
        ),
        ({"type": "custom", "name": "apply_patch"}, None, {"type": "tool", "name": "apply_patch"}),
        (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
        (None, None, None),
    ],
)
def test_tool_choice(choice: object, parallel: object, expected: object) -> None:
    fields: dict[str, Any] = {}
    if choice is not None:
        fields["tool_choice"] = choice
    if parallel is not None:
        fields["parallel_tool_calls"] = parallel
    assert encode(request(user("a"), **fields)).body.get("tool_choice") == expected


@pytest.mark.parametrize(
    ("effort", "max_output", "options", "thinking", "max_tokens"),
    [
        ("low", None, {}, 2048, 8192),
        ("medium", None, {}, 8192, 12288),  # raised to budget + 4096
        ("high", None, {}, 24576, 28672),
        ("high", None, {"max_tokens_limit": 16000}, 14976, 16000),
        ("high", 10000, {}, 8976, 10000),  # the client's limit holds; the budget shrinks
        ("medium", 1500, {}, None, 1500),  # no room left to think
        ("minimal", None, {}, None, 8192),
        ("none", None, {"max_tokens": 4000}, None, 4000),
        ("medium", None, {"thinking": False}, None, 8192),
        (None, None, {"default_effort": "low"}, 2048, 8192),
        ("low", None, {"thinking_budgets": {"low": 4000}}, 4000, 8192),
    ],
)
def test_reasoning_effort_to_thinking(
    effort: str | None,
    max_output: int | None,
    options: dict[str, Any],
    thinking: int | None,
    max_tokens: int,
) -> None:
    fields: dict[str, Any] = {"temperature": 0.2, "top_p": 0.9}
    if effort:
        fields["reasoning"] = {"effort": effort, "summary": "auto"}
    if max_output:
        fields["max_output_tokens"] = max_output
    encoded = encode(request(user("a"), **fields), **options)
    body = encoded.body
    assert body["max_tokens"] == max_tokens
    if thinking is None:
        assert "thinking" not in body
        assert body["temperature"] == 0.2 and "top_p" not in body  # newer models refuse both
    else:
        assert body["thinking"] == {"type": "enabled", "budget_tokens": thinking}
        assert "temperature" not in body and "top_p" not in body
        assert {"temperature", "top_p"} <= set(encoded.dropped)


def test_adaptive_thinking_and_sampling_limits() -> None:
    body = encode(request(user("a"), reasoning={"effort": "high"}), thinking_mode="adaptive").body
    assert body["thinking"] == {"type": "adaptive"}
    assert body["output_config"] == {"effort": "high"}
    assert encode(request(user("a"), temperature=1.7)).body["temperature"] == 1.0
    assert encode(request(user("a"), top_p=0.5)).body["top_p"] == 0.5


def test_forced_tool_turns_thinking_off() -> None:
    encoded = encode(request(user("a"), reasoning={"effort": "high"}, tool_choice="required"))
    assert "thinking" not in encoded.body
    assert "thinking (a forced tool call)" in encoded.dropped


def test_options_extra_body_and_no_cache() -> None:
    body = encode(
        request(user("a"), user("b")),
        prompt_cache=False,
        extra_body={"metadata": {"user_id": "u1"}, "tool_choice": None, "top_k": 5},
    ).body
    assert body["metadata"] == {"user_id": "u1"} and body["top_k"] == 5
    assert "tool_choice" not in body
    assert "cache_control" not in json.dumps(body)


def test_cache_breakpoints_where_the_last_request_ended() -> None:
    history = (user("a"), call("c1"), output("c1"), call("c2"), output("c2"))
    body = encode(request(*history, instructions="Be brief.")).body
    marked = [
        (n, b["type"])
        for n, m in enumerate(body["messages"])
        for b in m["content"]
        if "cache_control" in b
    ]
    assert marked == [(2, "tool_result"), (4, "tool_result")]
    assert "cache_control" not in body["tools"][-1]  # the system block is marked instead
    no_system = encode({"model": "m", "input": [user("a")], "tools": TOOLS}).body
    assert "cache_control" in no_system["tools"][-1]


# -- reasoning round trip ------------------------------------------------------------------


def test_blob_round_trip() -> None:
    thinking = {"type": "thinking", "thinking": "hmm ✓", "signature": "sig=="}
    redacted = {"type": "redacted_thinking", "data": "EmwKAhgB"}
    for block in (thinking, redacted):
        blob = encode_thinking_blob(block)
        assert blob.startswith(BLOB_PREFIX) and "=" not in blob[len(BLOB_PREFIX) :]
        assert decode_thinking_blob(blob) == block
    for other in ("gAAAA-openai", BLOB_PREFIX + "e30", BLOB_PREFIX + "%%%", None, 3):
        assert decode_thinking_blob(other) is None


def test_thinking_comes_back_to_anthropic() -> None:
    events, _ = decode(stream_bytes("thinking_tool.sse"))
    items = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert [i["type"] for i in items] == [
        "reasoning",
        "message",
        "function_call",
        "custom_tool_call",
        "function_call",
    ]
    outputs = [
        {"type": "function_call_output", "call_id": items[2]["call_id"], "output": "total 0"},
        {"type": "custom_tool_call_output", "call_id": items[3]["call_id"], "output": "Success."},
        {"type": "function_call_output", "call_id": items[4]["call_id"], "output": "started"},
    ]
    follow_up = request(
        user("make hello.txt"), *copy.deepcopy(items), *outputs, reasoning={"effort": "medium"}
    )
    encoded = encode(follow_up)
    turn = encoded.body["messages"][1]
    assert turn["role"] == "assistant"
    thinking = "The user wants a greeting file. I'll check the directory first, then write it."
    signature = "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds/E3RPXm3D3N2r2kf"
    signature += "cnk5cBh7rZzFfwQ=="
    assert turn["content"][0] == {"type": "thinking", "thinking": thinking, "signature": signature}
    assert [b["type"] for b in turn["content"]] == [
        "thinking",
        "text",
        "tool_use",
        "tool_use",
        "tool_use",
    ]
    assert [b["name"] for b in turn["content"][2:]] == [
        "exec_command",
        "apply_patch",
        "multi_agent_v1__spawn_agent",
    ]
    assert turn["content"][3]["input"] == {
        "input": "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n"
    }
    assert encoded.body["thinking"] == {"type": "enabled", "budget_tokens": 8192}
    assert "reasoning" not in encoded.dropped


def test_redacted_thinking_comes_back_too() -> None:
    response = decode_message(
        load("message.json"), response_id="resp_1", model="gpt-5-codex", created_at=1, tools=TOOLSET
    )
    items = response["output"]
    follow_up = request(user("test it"), *items, output(items[-1]["call_id"], "2 passed"))
    content = encode(follow_up, thinking_mode="adaptive").body["messages"][1]["content"]
    assert content[:2] == [
        {
            "type": "thinking",
            "thinking": "A quick check is enough.",
            "signature": "ErUBCkYIBxgCIkCx3AnnsDC0Q3oYbVjUhHJRV0vAJC0=",
        },
        {"type": "redacted_thinking", "data": load("message.json")["content"][1]["data"]},
    ]


def test_reasoning_after_text_moves_to_the_start_of_its_turn() -> None:
    blob = encode_thinking_blob({"type": "thinking", "thinking": "t", "signature": "s"})
    body = encode(
        request(
            user("a"),
            assistant("x"),
            {"type": "reasoning", "summary": [], "encrypted_content": blob},
            call("c1"),
            output("c1"),
        )
    ).body
    assert [b["type"] for b in body["messages"][1]["content"]] == ["thinking", "text", "tool_use"]


def test_a_turn_of_only_thinking_is_left_out() -> None:
    blob = encode_thinking_blob({"type": "thinking", "thinking": "t", "signature": "s"})
    body = encode(
        request(user("a"), {"type": "reasoning", "encrypted_content": blob}, user("b"))
    ).body
    assert [m["role"] for m in body["messages"]] == ["user"]


# -- streams -------------------------------------------------------------------------------


def test_text_stream() -> None:
    events, decoder = decode(stream_bytes("text.sse"))
    checked(events)
    assert [e["type"] for e in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    response = events[-1]["response"]
    assert response["output"][0]["content"][0]["text"] == "Hi! How can I help — ünïcode ✓?"
    assert response["usage"] == {
        "input_tokens": 12 + 2048 + 16384,
        "input_tokens_details": {"cached_tokens": 16384, "cache_write_tokens": 2048},
        "output_tokens": 15,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 12 + 2048 + 16384 + 15,
    }
    assert decoder.done and decoder.usage is not None and decoder.usage.cache_write_tokens == 2048
    golden("text.events.json", events)


def test_thinking_and_tool_stream() -> None:
    events, _ = decode(stream_bytes("thinking_tool.sse"))
    checked(events)
    golden("thinking_tool.events.json", events)
    kinds = [e["type"] for e in events]
    assert kinds.count("response.reasoning_summary_text.delta") == 2
    assert kinds.count("response.function_call_arguments.delta") == 4  # exec ×3, spawn ×1
    assert kinds[-1] == "response.completed"
    output = events[-1]["response"]["output"]
    reasoning, message, exec_call, patch, spawn = output
    assert reasoning["summary"][0]["text"].startswith("The user wants a greeting file.")
    assert reasoning["encrypted_content"].startswith(BLOB_PREFIX)
    assert message["content"][0]["text"] == "Let me look around first."
    assert json.loads(exec_call["arguments"]) == {"cmd": "ls -la", "workdir": "/work"}
    assert exec_call["call_id"] == "toolu_01T1x1fJ34qAmk2tNTrN7Up6"
    assert patch["type"] == "custom_tool_call" and patch["name"] == "apply_patch"
    assert patch["input"] == "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n"
    assert (spawn["name"], spawn["namespace"]) == ("spawn_agent", "multi_agent_v1")


def test_max_tokens_stream_is_incomplete() -> None:
    events, _ = decode(stream_bytes("max_tokens.sse"))
    checked(events)
    golden("max_tokens.events.json", events)
    assert events[-1]["type"] == "response.incomplete"
    response = events[-1]["response"]
    assert response["incomplete_details"] == {"reason": "max_output_tokens"}
    assert response["output"][0]["content"][0]["text"] == "Here is a very long explanation that"
    assert response["usage"]["output_tokens"] == 16


def test_error_event_mid_stream_fails() -> None:
    events, decoder = decode(stream_bytes("error.sse"))
    checked(events)
    golden("error.events.json", events)
    assert events[-1]["type"] == "response.failed"
    response = events[-1]["response"]
    assert response["error"] == {"code": "server_is_overloaded", "message": "Overloaded"}
    assert response["output"][0]["content"][0]["text"] == "Working on"  # kept what came
    assert decoder.done and decoder.usage is not None and decoder.usage.input_tokens == 300


def test_cut_stream_is_left_to_the_relay() -> None:
    events, decoder = decode(stream_bytes("cut.sse"))
    checked(events)
    assert not decoder.done and decoder.terminal is None
    assert not any(e["type"] in TERMINAL for e in events)
    assert events[-1]["type"] == "response.function_call_arguments.delta"


def test_stream_cut_after_the_stop_reason_completes() -> None:
    data = stream_bytes("text.sse")
    cut = data[: data.index(b"event: message_stop")]
    events, decoder = decode(cut)
    checked(events)
    assert decoder.done and events[-1]["type"] == "response.completed"


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (
            {"type": "rate_limit_error", "message": "Rate limited."},
            "rate_limit_exceeded",
            "Rate limited. Please try again in 10s.",
        ),
        (
            {
                "type": "invalid_request_error",
                "message": "prompt is too long: 210000 tokens > 200000 maximum",
            },
            "context_length_exceeded",
            None,
        ),
        ({"type": "api_error", "message": "Internal server error"}, "server_error", None),
        ({"type": "invalid_request_error", "message": "messages.1: bad"}, "server_error", None),
    ],
)
def test_error_events(error: dict[str, str], code: str, message: str | None) -> None:
    data = stream_bytes("text.sse").split(b"event: content_block_start")[0]
    data += (
        b"event: error\ndata: " + json.dumps({"type": "error", "error": error}).encode() + b"\n\n"
    )
    events, _ = decode(data)
    checked(events)
    assert events[-1]["response"]["error"] == {"code": code, "message": message or error["message"]}


def test_stop_reasons() -> None:
    def run(stop: str) -> dict[str, Any]:
        data = stream_bytes("text.sse").replace(
            b'"stop_reason":"end_turn"', f'"stop_reason":"{stop}"'.encode()
        )
        return checked(decode(data)[0])[-1]

    assert run("refusal")["type"] == "response.completed"
    assert run("stop_sequence")["type"] == "response.completed"
    failed = run("model_context_window_exceeded")
    assert failed["response"]["error"]["code"] == "context_length_exceeded"


def test_nothing_after_the_end() -> None:
    decoder = new_decoder()
    events = []
    for event in SSEDecoder().feed(stream_bytes("error.sse") + stream_bytes("text.sse")):
        events += decoder.feed(event)
    checked(events)
    assert decoder.finish() == []


def test_a_tool_use_whose_input_came_whole() -> None:
    decoder = new_decoder()
    start = {"type": "tool_use", "id": "toolu_1", "name": "exec_command", "input": {"cmd": "ls"}}
    events = decoder.feed_data(
        {"message": {"usage": {"input_tokens": 1, "output_tokens": 1}}}, "message_start"
    )
    events += decoder.feed_data({"index": 0, "content_block": start}, "content_block_start")
    events += decoder.feed_data({"index": 0}, "content_block_stop")
    events += decoder.feed_data(
        {"delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 9}}, "message_delta"
    )
    events += decoder.feed_data({}, "message_stop")
    checked(events)
    assert events[-1]["response"]["output"][0]["arguments"] == '{"cmd":"ls"}'


def test_whole_message() -> None:
    message = load("message.json")
    response = decode_message(
        message, response_id="resp_1", model="gpt-5-codex", created_at=1, tools=TOOLSET
    )
    openai.types.responses.Response.model_validate(response)
    golden("message.response.json", response)
    assert [i["type"] for i in response["output"]] == [
        "reasoning",
        "reasoning",
        "message",
        "function_call",
    ]
    assert json.loads(response["output"][-1]["arguments"]) == {
        "cmd": "pytest -q",
        "yield_time_ms": 1000,
    }
    assert response["usage"]["input_tokens"] == 2095 + 100 + 4000
    assert response["usage"]["output_tokens_details"] == {"reasoning_tokens": 320}
    openai.types.responses.Response.model_validate(response)
    failed = decode_message(
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
        response_id="resp_2",
        model="m",
        created_at=1,
        tools=ToolSet(),
    )
    assert failed["status"] == "failed" and failed["error"]["code"] == "server_is_overloaded"


RATE = "Number of request tokens has exceeded your per-minute rate limit"
LONG = "prompt is too long: 212345 tokens > 200000 maximum"


def error_body(kind: str, message: str) -> bytes:
    body = json.dumps({"type": "error", "error": {"type": kind, "message": message}}).encode()
    ErrorResponse.model_validate_json(body)
    return body


@pytest.mark.parametrize(
    ("status", "body", "retry_after", "expected"),
    [
        (
            529,
            error_body("overloaded_error", "Overloaded"),
            None,
            ("server_is_overloaded", "Overloaded"),
        ),
        (
            429,
            error_body("rate_limit_error", RATE),
            7,
            ("rate_limit_exceeded", f"{RATE}. Please try again in 7s."),
        ),
        (400, error_body("invalid_request_error", LONG), None, ("context_length_exceeded", LONG)),
        (
            400,
            error_body("invalid_request_error", "max_tokens: bad"),
            None,
            ("invalid_request_error", "max_tokens: bad"),
        ),
        (
            401,
            error_body("authentication_error", "invalid x-api-key"),
            None,
            ("server_error", "invalid x-api-key"),
        ),
        (502, b"<html>bad gateway</html>", None, ("server_error", "<html>bad gateway</html>")),
        (
            429,
            b"",
            None,
            (
                "rate_limit_exceeded",
                "The Anthropic upstream answered HTTP 429. Please try again in 10s.",
            ),
        ),
        (503, b"", None, ("server_is_overloaded", "The Anthropic upstream answered HTTP 503.")),
    ],
)
def test_http_errors(
    status: int, body: bytes, retry_after: int | None, expected: tuple[str, str]
) -> None:
    assert decode_messages_error(status, body, retry_after=retry_after) == expected


# -- any chunking gives the same events ----------------------------------------------------

STREAMS = ["text.sse", "thinking_tool.sse", "max_tokens.sse", "error.sse", "cut.sse"]


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(STREAMS),
    cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=12),
)
def test_random_splits_give_the_same_events(name: str, cuts: list[int]) -> None:
    data = stream_bytes(name).replace(b"\n", b"\r\n") if len(cuts) % 2 else stream_bytes(name)
    whole, _ = decode(data)
    points = sorted({min(c, len(data)) for c in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    split, decoder = decode(data, chunks)
    assert split == whole
    checked(split)
    assert decoder.done == (name != "cut.sse")


def test_every_single_split_point() -> None:
    data = stream_bytes("thinking_tool.sse")
    whole, _ = decode(data)
    for point in range(len(data) + 1):
        assert decode(data, [data[:point], data[point:]])[0] == whole
