"""The hub's shared pieces: tool flattening and the Responses event builder."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

from fourk.billing.usage import Usage
from fourk.protocols.hub.builder import ResponsesBuilder
from fourk.protocols.hub.tools import (
    custom_input,
    flatten_tools,
    tool_choice_name,
    upstream_name,
)

EVENTS = TypeAdapter(ResponseStreamEvent)

CODEX_TOOLS = [
    {"type": "function", "name": "exec_command", "parameters": {"type": "object"}},
    {
        "type": "custom",
        "name": "apply_patch",
        "description": "Edit files.",
        "format": {"type": "grammar", "syntax": "lark", "definition": "start: begin_patch"},
    },
    {
        "type": "namespace",
        "name": "multi_agent_v1",
        "tools": [{"type": "function", "name": "spawn_agent", "parameters": {"type": "object"}}],
    },
    {"type": "web_search", "external_web_access": False},
    {"type": "tool_search", "execution": "client"},
]


def test_flatten_maps_every_kind_and_drops_hosted_tools() -> None:
    tools = flatten_tools(CODEX_TOOLS)
    assert [t.name for t in tools.tools] == [
        "exec_command",
        "apply_patch",
        "multi_agent_v1__spawn_agent",
    ]
    assert tools.dropped == ("web_search", "tool_search")
    patch = tools.tools[1]
    assert patch.parameters["required"] == ["input"]
    assert "start: begin_patch" in patch.description  # the grammar is still told
    assert tools.resolve("apply_patch").kind == "custom"
    spawn = tools.resolve("multi_agent_v1__spawn_agent")
    assert (spawn.namespace, spawn.name) == ("multi_agent_v1", "spawn_agent")
    assert tools.resolve("unknown").name == "unknown"


@given(st.text(min_size=1, max_size=120), st.one_of(st.none(), st.text(min_size=1, max_size=40)))
def test_upstream_names_are_safe_and_short(name: str, namespace: str | None) -> None:
    flat = upstream_name(name, namespace)
    assert 1 <= len(flat) <= 64
    assert all(c.isascii() and (c.isalnum() or c in "_-") for c in flat)
    assert flat == upstream_name(name, namespace)  # deterministic: history maps the same way


def test_distinct_long_names_do_not_collide() -> None:
    a, b = "x" * 70 + "a", "x" * 70 + "b"
    assert upstream_name(a) != upstream_name(b)


def test_custom_input_and_forced_choice() -> None:
    assert custom_input({"input": "*** Begin Patch"}) == "*** Begin Patch"
    assert custom_input({"patch": "p"}) == "p"  # a model that renamed the one property
    assert custom_input("raw") == "raw"
    assert (
        tool_choice_name({"type": "function", "name": "spawn_agent", "namespace": "multi_agent_v1"})
        == "multi_agent_v1__spawn_agent"
    )
    assert tool_choice_name("auto") is None


def _run(builder: ResponsesBuilder) -> list[dict[str, object]]:
    tools = builder.tools
    del tools
    events = builder.reasoning("Let me think.")
    events += builder.reasoning_blob("blob-1")
    events += builder.text("Hello")
    events += builder.text(", world")
    events += builder.tool_call(0, "call_a", "apply_patch")
    events += builder.tool_arguments(0, '{"input": "*** Begin')
    events += builder.tool_arguments(0, ' Patch"}')
    events += builder.tool_call(1, "call_b", "multi_agent_v1__spawn_agent")
    events += builder.tool_arguments(1, '{"x": 1}')
    events += builder.complete(Usage(100, 40, 20, 5))
    return events


def test_builder_writes_the_sequence_codex_needs() -> None:
    builder = ResponsesBuilder("resp_abc", "deepseek-chat", 1700000000, flatten_tools(CODEX_TOOLS))
    events = _run(builder)
    for event in events:
        EVENTS.validate_python(event)  # every event is a real Responses event
    kinds = [e["type"] for e in events]
    assert kinds[0] == "response.created"
    assert kinds.count("response.completed") == 1 and kinds[-1] == "response.completed"
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    added = [e for e in events if e["type"] == "response.output_item.added"]
    done = [e for e in events if e["type"] == "response.output_item.done"]
    assert len(added) == len(done) == 4
    response = Response.model_validate(events[-1]["response"])
    assert response.model == "deepseek-chat"
    output = events[-1]["response"]["output"]  # type: ignore[index]
    assert [item["type"] for item in output] == [
        "reasoning",
        "message",
        "custom_tool_call",
        "function_call",
    ]
    assert output[0]["encrypted_content"] == "blob-1"
    assert output[1]["content"][0]["text"] == "Hello, world"
    assert output[2]["input"] == "*** Begin Patch" and output[2]["name"] == "apply_patch"
    assert output[3]["namespace"] == "multi_agent_v1" and output[3]["name"] == "spawn_agent"
    assert orjson.loads(output[3]["arguments"]) == {"x": 1}
    usage = events[-1]["response"]["usage"]  # type: ignore[index]
    assert usage["input_tokens_details"]["cached_tokens"] == 40
    assert usage["output_tokens_details"]["reasoning_tokens"] == 5
    assert builder.complete(None) == []  # exactly one terminal event


def test_builder_incomplete_and_failed() -> None:
    builder = ResponsesBuilder("resp_1", "m", 0)
    events = builder.text("cut") + builder.complete(Usage(1, 0, 1), incomplete="max_output_tokens")
    assert events[-1]["type"] == "response.incomplete"
    assert events[-1]["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
    failed = ResponsesBuilder("resp_2", "m", 0)
    events = failed.fail("context_length_exceeded", "too long")
    assert [e["type"] for e in events] == [
        "response.created",
        "response.in_progress",
        "response.failed",
    ]
    assert events[-1]["response"]["error"]["code"] == "context_length_exceeded"
    # (the SDK's literal list of codes lacks Codex's context_length_exceeded: no SDK check)


@given(st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=12))
def test_text_pieces_add_up(pieces: list[str]) -> None:
    builder = ResponsesBuilder("resp_p", "m", 0)
    events = [e for piece in pieces for e in builder.text(piece)] + builder.complete(None)
    deltas = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    assert deltas == "".join(pieces)
    assert events[-1]["response"]["output"][0]["content"][0]["text"] == "".join(pieces)


@pytest.mark.parametrize("bad", ["not json", '{"input": 5}'])
def test_custom_call_with_odd_arguments_does_not_break(bad: str) -> None:
    builder = ResponsesBuilder("resp_c", "m", 0, flatten_tools(CODEX_TOOLS))
    builder.tool_call(0, "c", "apply_patch")
    builder.tool_arguments(0, bad)
    final = builder.complete(None)[-1]
    item = final["response"]["output"][0]
    assert item["type"] == "custom_tool_call"
    assert isinstance(item["input"], str)


def test_an_upstream_account_out_of_credit_is_not_the_users_quota() -> None:
    from fourk.protocols.hub.upstream_quota import TEXT
    from fourk.protocols.messages.errors import decode_messages_error, decode_stream_error

    body = b'{"type":"error","error":{"type":"billing_error","message":"Credit balance too low"}}'
    code, message = decode_messages_error(400, body)
    assert code == "server_error"  # not insufficient_quota: Codex would blame the user's plan
    assert message.startswith(TEXT) and "Credit balance too low" in message
    code, message = decode_stream_error({"type": "billing_error", "message": "low"})
    assert code == "server_error" and "operator" in message
