"""Reading Anthropic Messages requests: the Responses-shaped view, and what is refused."""

from __future__ import annotations

from typing import Any

import pytest

from fourk.errors import InvalidRequest
from fourk.sim import read_anthropic_request
from fourk.sim.persona import reasoning_blob

from .test_sim_anthropic import EXEC_TOOL


def test_reader_builds_the_responses_view() -> None:
    signature = reasoning_blob("hmm")
    request = read_anthropic_request(
        {
            "model": "claude",
            "max_tokens": 64,
            "system": [{"type": "text", "text": "sys one"}, {"type": "text", "text": "two"}],
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "image"}]},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "thinking", "thinking": "hmm", "signature": signature},
                        {"type": "redacted_thinking", "data": "opaque"},
                        {"type": "text", "text": "calling"},
                        {"type": "tool_use", "id": "t1", "name": "f", "input": {"x": 1}},
                        {"type": "tool_use", "id": "t2", "name": "g", "input": {}},
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "t2", "content": "two"},
                        {
                            "type": "tool_result",
                            "tool_use_id": "t1",
                            "content": [{"type": "text", "text": "one"}],
                            "is_error": True,
                        },
                        {"type": "text", "text": "next"},
                    ],
                },
            ],
            "tools": [EXEC_TOOL, {"type": "web_search_20250305", "name": "web_search"}],
        }
    )
    assert (request.model, request.stream, request.max_tokens) == ("claude", False, 64)
    assert request.body == {
        "model": "claude",
        "input": [
            {"type": "message", "role": "developer", "content": "sys one\ntwo"},
            {"type": "message", "role": "user", "content": "a"},
            {
                "type": "reasoning",
                "summary": [{"type": "summary_text", "text": "hmm"}],
                "encrypted_content": signature,
            },
            {"type": "message", "role": "assistant", "content": "calling"},
            {"type": "function_call", "call_id": "t1", "name": "f", "arguments": '{"x":1}'},
            {"type": "function_call", "call_id": "t2", "name": "g", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "t2", "output": "two"},
            {"type": "function_call_output", "call_id": "t1", "output": "one"},
            {"type": "message", "role": "user", "content": "next"},
        ],
        "tools": [
            {"type": "function", "name": "exec_command", "parameters": EXEC_TOOL["input_schema"]}
        ],
    }


TOOL_USE = {"type": "tool_use", "id": "t1", "name": "f", "input": {}}


def anthropic_body(*messages: Any, **extra: Any) -> dict[str, Any]:
    return {"model": "claude", "max_tokens": 10, "messages": list(messages), **extra}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"max_tokens": 5, "messages": [{"role": "user", "content": "x"}]},
            "model: Field required",
        ),
        ({"model": "c", "messages": [{"role": "user", "content": "x"}]}, "max_tokens"),
        (anthropic_body(), "messages"),
        (anthropic_body({"role": "system", "content": "x"}), "messages.0.role"),
        (anthropic_body({"role": "user", "content": 5}), "messages.0.content"),
        (anthropic_body({"role": "user", "content": [{"text": "x"}]}), "needs a 'type'"),
        (anthropic_body({"role": "user", "content": "x"}, system=5), "system"),
        (
            anthropic_body(
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t9"}]}
            ),
            "unexpected `tool_use_id` found in `tool_result` blocks: t9",
        ),
        (
            anthropic_body(
                {"role": "user", "content": "x"},
                {"role": "assistant", "content": [TOOL_USE]},
                {"role": "user", "content": "no result"},
            ),
            "messages.1: `tool_use` ids were found without `tool_result` blocks",
        ),
        (
            anthropic_body(
                {"role": "user", "content": "x"}, {"role": "assistant", "content": [TOOL_USE]}
            ),
            "immediately after: t1",
        ),
        (
            anthropic_body(
                {"role": "assistant", "content": [{"type": "thinking", "thinking": "hmm"}]}
            ),
            "needs string 'thinking' and 'signature'",
        ),
        (
            anthropic_body(
                {
                    "role": "assistant",
                    "content": [{"type": "thinking", "thinking": "hmm", "signature": "forged"}],
                }
            ),
            "Invalid `signature` in `thinking` block",
        ),
        (
            anthropic_body({"role": "assistant", "content": [{"type": "tool_use", "id": "t"}]}),
            "a tool_use block needs",
        ),
        (anthropic_body({"role": "user", "content": "x"}, tools=[{"input_schema": {}}]), "tools.0"),
    ],
)
def test_reader_rejects_what_anthropic_rejects(body: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        read_anthropic_request(body)
    assert message in caught.value.message
