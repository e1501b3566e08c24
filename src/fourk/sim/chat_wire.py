"""OpenAI Chat Completions objects for simulated answers: completions, chunks, usage (pure).

Reasoning goes out as `reasoning_content`, the field DeepSeek, vLLM and Qwen servers use.
A Compaction item has no Chat form and is left out; a CustomToolCall (which personas only
make for a Responses `custom` tool) goes out as a function call with `{"input": ...}`.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from fourk.sim.answer import Answer
from fourk.sim.ids import IdFactory
from fourk.sim.items import CustomToolCall, FunctionCall, OutputItem, Reasoning, TextMessage
from fourk.sim.responses_wire import JSONObject
from fourk.sim.usage import SimUsage


def tool_calls_of(items: Sequence[OutputItem]) -> list[FunctionCall]:
    """Every call in the answer, as a function call (see the module docstring)."""
    calls = []
    for item in items:
        if isinstance(item, FunctionCall):
            calls.append(item)
        elif isinstance(item, CustomToolCall):
            arguments = orjson.dumps({"input": item.input}).decode()
            calls.append(FunctionCall(item.name, arguments, item.call_id))
    return calls


def finish_reason(answer: Answer) -> str:
    """`length` when cut at max_tokens, `tool_calls` when it calls a tool, else `stop`."""
    if answer.truncated:
        return "length"
    return "tool_calls" if tool_calls_of(answer.items) else "stop"


def encode_chat_usage(usage: SimUsage) -> JSONObject:
    """Usage as OpenAI reports it: prompt tokens include the cached ones."""
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


def encode_tool_call(call: FunctionCall) -> JSONObject:
    return {
        "id": call.call_id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments},
    }


def encode_chat_message(items: Sequence[OutputItem]) -> JSONObject:
    """The assistant `message` of a non-streaming completion."""
    texts = [item.text for item in items if isinstance(item, TextMessage)]
    reasoning = [item.summary for item in items if isinstance(item, Reasoning)]
    message: JSONObject = {
        "role": "assistant",
        "content": "".join(texts) if texts else None,
        "refusal": None,
    }
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    calls = tool_calls_of(items)
    if calls:
        message["tool_calls"] = [encode_tool_call(call) for call in calls]
    return message


def encode_chat_completion(answer: Answer, completion_id: str) -> JSONObject:
    """The `stream: false` answer: a `chat.completion` object."""
    choice = {
        "index": 0,
        "message": encode_chat_message(answer.items),
        "logprobs": None,
        "finish_reason": finish_reason(answer),
    }
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": answer.created_at,
        "model": answer.model,
        "choices": [choice],
        "usage": encode_chat_usage(answer.usage),
    }


def completion_id(new_id: IdFactory) -> str:
    """OpenAI's `chatcmpl-…` id from an id factory's `chatcmpl_…`."""
    return new_id("chatcmpl").replace("_", "-", 1)
