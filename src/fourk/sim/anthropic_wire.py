"""Anthropic Messages objects for simulated answers: messages, blocks, usage, errors (pure).

Anthropic's `input_tokens` leaves out cached tokens (they are `cache_read_input_tokens`),
where OpenAI's input count includes them: both come from the same `SimUsage`, so the sum
`input_tokens + cache_read_input_tokens` equals OpenAI's prompt tokens. Reasoning becomes a
`thinking` block whose `signature` is the reasoning's opaque blob. A Compaction item has
no Anthropic form and is left out; a CustomToolCall becomes a tool_use with `{"input": ...}`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

import orjson

from fourk.sim.answer import Answer
from fourk.sim.items import (
    Compaction,
    CustomToolCall,
    FunctionCall,
    OutputItem,
    Reasoning,
    TextMessage,
)
from fourk.sim.responses_wire import JSONObject
from fourk.sim.usage import SimUsage

ERROR_TYPES_BY_STATUS: Mapping[int, str] = MappingProxyType(
    {
        400: "invalid_request_error",
        401: "authentication_error",
        402: "billing_error",
        403: "permission_error",
        404: "not_found_error",
        413: "request_too_large",
        429: "rate_limit_error",
        503: "overloaded_error",
        504: "timeout_error",
        529: "overloaded_error",
    }
)
ERROR_TYPES = frozenset(ERROR_TYPES_BY_STATUS.values()) | {"api_error"}
MODELS_CREATED_AT = "2025-01-01T00:00:00Z"


def anthropic_error(error_type: str, message: str) -> JSONObject:
    """An Anthropic error body: {"type": "error", "error": {"type", "message"}}."""
    return {"type": "error", "error": {"type": error_type, "message": message}}


def error_type_for(status: int, hint: str | None = None) -> str:
    """The Anthropic error type for an HTTP status, as Anthropic pairs them.

    For a status with no type of its own (500, 502, ...), `hint` (an OpenAI error type or
    code) decides: an Anthropic type already, or a rate limit; else `api_error`.
    """
    if status in ERROR_TYPES_BY_STATUS:
        return ERROR_TYPES_BY_STATUS[status]
    if hint in ERROR_TYPES:
        return str(hint)
    if hint is not None and hint.startswith("rate_limit"):
        return "rate_limit_error"
    return "api_error"


def stop_reason(answer: Answer) -> str:
    """`max_tokens` when cut, `tool_use` when it calls a tool, else `end_turn`."""
    if answer.truncated:
        return "max_tokens"
    calls = any(isinstance(item, FunctionCall | CustomToolCall) for item in answer.items)
    return "tool_use" if calls else "end_turn"


def encode_anthropic_usage(usage: SimUsage, *, output_tokens: int | None = None) -> JSONObject:
    """Usage as Anthropic reports it; `output_tokens` overrides (message_start says 1)."""
    return {
        "input_tokens": usage.input_tokens - usage.cached_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": usage.cached_tokens,
        "output_tokens": usage.output_tokens if output_tokens is None else output_tokens,
    }


def content_blocks(items: Sequence[OutputItem]) -> list[OutputItem]:
    """The items that become content blocks (everything but a Compaction)."""
    return [item for item in items if not isinstance(item, Compaction)]


def encode_block(item: OutputItem, *, done: bool = True) -> JSONObject:
    """The content block as the message carries it, or as content_block_start does."""
    match item:
        case TextMessage(text=text):
            return {"type": "text", "text": text if done else ""}
        case Reasoning(summary=summary, encrypted_content=blob):
            signature = (blob or "") if done else ""
            return {"type": "thinking", "thinking": summary if done else "", "signature": signature}
        case FunctionCall() | CustomToolCall():
            arguments = orjson.loads(tool_input(item)) if done else {}
            return {"type": "tool_use", "id": item.call_id, "name": item.name, "input": arguments}
        case Compaction():
            raise ValueError("a compaction item has no Anthropic content block")


def tool_input(item: FunctionCall | CustomToolCall) -> str:
    """The tool_use input as a JSON text (what `input_json_delta` pieces add up to)."""
    if isinstance(item, CustomToolCall):
        return orjson.dumps({"input": item.input}).decode()
    return item.arguments


def encode_message(
    answer: Answer, message_id: str, *, done: bool = True, output_tokens: int | None = None
) -> JSONObject:
    """The `message` object: whole (non-streaming), or empty as message_start carries it."""
    blocks = [encode_block(item) for item in content_blocks(answer.items)] if done else []
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": answer.model,
        "content": blocks,
        "stop_reason": stop_reason(answer) if done else None,
        "stop_sequence": None,
        "usage": encode_anthropic_usage(answer.usage, output_tokens=output_tokens),
    }


def encode_models(models: Sequence[str]) -> JSONObject:
    """GET /v1/models in Anthropic's list shape."""
    data = [
        {
            "type": "model",
            "id": model,
            "display_name": model,
            "created_at": MODELS_CREATED_AT,
            "lifecycle": "active",
        }
        for model in models
    ]
    return {
        "data": data,
        "has_more": False,
        "first_id": models[0] if models else None,
        "last_id": models[-1] if models else None,
    }
