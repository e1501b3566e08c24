"""Reading Chat Completions requests: the Responses-shaped view, and what is refused."""

from __future__ import annotations

from typing import Any

import pytest

from fourk.errors import InvalidRequest
from fourk.sim import read_chat_request

from .test_sim_chat import EXEC_TOOL


def test_reader_builds_the_responses_view() -> None:
    request = read_chat_request(
        {
            "model": "m",
            "messages": [
                {"role": "system", "content": "sys"},
                {"role": "developer", "content": [{"type": "text", "text": "dev"}]},
                {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "image_url"}]},
                {
                    "role": "assistant",
                    "content": "calling",
                    "reasoning_content": "hmm",
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "f", "arguments": "{}"},
                        },
                        {
                            "id": "c2",
                            "type": "function",
                            "function": {"name": "g", "arguments": "[]"},
                        },
                    ],
                },
                {"role": "tool", "tool_call_id": "c2", "content": "two"},
                {
                    "role": "tool",
                    "tool_call_id": "c1",
                    "content": [{"type": "text", "text": "one"}],
                },
            ],
            "tools": [EXEC_TOOL, {"type": "custom", "custom": {"name": "x"}}],
            "max_completion_tokens": 9,
        }
    )
    assert request.model == "m"
    assert not request.stream
    assert not request.include_usage
    assert request.max_tokens == 9
    assert request.body == {
        "model": "m",
        "input": [
            {"type": "message", "role": "developer", "content": "sys"},
            {"type": "message", "role": "developer", "content": "dev"},
            {"type": "message", "role": "user", "content": "a"},
            {"type": "reasoning", "summary": [{"type": "summary_text", "text": "hmm"}]},
            {"type": "message", "role": "assistant", "content": "calling"},
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
            {"type": "function_call", "call_id": "c2", "name": "g", "arguments": "[]"},
            {"type": "function_call_output", "call_id": "c2", "output": "two"},
            {"type": "function_call_output", "call_id": "c1", "output": "one"},
        ],
        "tools": [
            {
                "type": "function",
                "name": "exec_command",
                "parameters": EXEC_TOOL["function"]["parameters"],  # type: ignore[index]
            }
        ],
    }


CALL = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"messages": [{"role": "user", "content": "x"}]}, "'model'"),
        ({"model": "m"}, "'messages'"),
        ({"model": "m", "messages": []}, "'messages'"),
        ({"model": "m", "messages": ["hi"]}, "messages[0] must be an object"),
        ({"model": "m", "messages": [{"role": "bot", "content": "x"}]}, "messages[0].role"),
        (
            {"model": "m", "messages": [{"role": "assistant", "tool_calls": [CALL]}]},
            "these had none: c1",
        ),
        (
            {
                "model": "m",
                "messages": [
                    {"role": "assistant", "tool_calls": [CALL]},
                    {"role": "user", "content": "too soon"},
                ],
            },
            "before messages[1]",
        ),
        (
            {
                "model": "m",
                "messages": [
                    {"role": "assistant", "tool_calls": [CALL]},
                    {"role": "tool", "tool_call_id": "c1", "content": "x"},
                    {"role": "tool", "tool_call_id": "c1", "content": "again"},
                ],
            },
            "answered already",
        ),
        (
            {"model": "m", "messages": [{"role": "assistant", "tool_calls": [{"id": "c"}]}]},
            "tool_calls[0] must be",
        ),
        (
            {
                "model": "m",
                "messages": [
                    {
                        "role": "assistant",
                        "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": {}}}],
                    }
                ],
            },
            "'arguments' (a JSON string)",
        ),
        (
            {"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 0},
            "max_tokens",
        ),
        (
            {
                "model": "m",
                "messages": [{"role": "user", "content": "x"}],
                "stream_options": {"include_usage": True},
            },
            "only allowed when 'stream' is enabled",
        ),
        (
            {
                "model": "m",
                "messages": [{"role": "user", "content": "x"}],
                "tools": [{"type": "function"}],
            },
            "tools[0].function.name",
        ),
    ],
)
def test_reader_rejects_what_openai_rejects(body: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        read_chat_request(body)
    assert message in caught.value.message
