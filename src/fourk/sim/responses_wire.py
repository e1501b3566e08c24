"""OpenAI Responses objects for simulated answers: items, usage, responses, errors (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from fourk.sim.items import (
    Compaction,
    CustomToolCall,
    FunctionCall,
    OutputItem,
    Reasoning,
    TextMessage,
)
from fourk.sim.usage import SimUsage

JSONObject = dict[str, object]


def item_id_prefix(item: OutputItem) -> str:
    """The id prefix OpenAI uses for this kind of item."""
    match item:
        case TextMessage():
            return "msg"
        case FunctionCall():
            return "fc"
        case CustomToolCall():
            return "ctc"
        case Reasoning():
            return "rs"
        case Compaction():
            return "cmp"


def encode_output_text(text: str) -> JSONObject:
    return {"type": "output_text", "text": text, "annotations": []}


def encode_summary_text(text: str) -> JSONObject:
    return {"type": "summary_text", "text": text}


def encode_item(item: OutputItem, item_id: str, *, done: bool = True) -> JSONObject:
    """The item as `output_item.done` carries it, or as `output_item.added` does (done=False)."""
    status = "completed" if done else "in_progress"
    match item:
        case TextMessage(text=text):
            content = [encode_output_text(text)] if done else []
            return {
                "type": "message",
                "id": item_id,
                "role": "assistant",
                "status": status,
                "content": content,
            }
        case FunctionCall() | CustomToolCall():
            return _encode_call(item, item_id, done=done)
        case Reasoning(summary=summary, encrypted_content=blob):
            encoded: JSONObject = {
                "type": "reasoning",
                "id": item_id,
                "summary": [encode_summary_text(summary)] if done else [],
            }
            if blob is not None:
                encoded["encrypted_content"] = blob
            return encoded
        case Compaction(encrypted_content=blob):
            return {"type": "compaction", "id": item_id, "encrypted_content": blob}


def _encode_call(item: FunctionCall | CustomToolCall, item_id: str, *, done: bool) -> JSONObject:
    """A `function_call` (JSON `arguments`) or `custom_tool_call` (raw `input`) item."""
    if isinstance(item, FunctionCall):
        kind, field, value = "function_call", "arguments", item.arguments
    else:
        kind, field, value = "custom_tool_call", "input", item.input
    return {
        "type": kind,
        "id": item_id,
        "call_id": item.call_id,
        "name": item.name,
        field: value if done else "",
        "status": "completed" if done else "in_progress",
    }


def encode_usage(usage: SimUsage) -> JSONObject:
    """Usage with every field Codex checks: both details objects, and the total."""
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.total_tokens,
    }


def encode_response(
    response_id: str,
    model: str,
    created_at: int,
    *,
    status: str,
    output: Sequence[JSONObject] = (),
    usage: SimUsage | None = None,
    error: JSONObject | None = None,
) -> JSONObject:
    """A `response` object; usage and error appear only when given."""
    response: JSONObject = {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "model": model,
        "output": list(output),
    }
    if usage is not None:
        response["usage"] = encode_usage(usage)
    if error is not None:
        response["error"] = error
    return response


def openai_error(
    message: str, type_: str = "server_error", code: str | None = None, param: str | None = None
) -> JSONObject:
    """An OpenAI error body: {"error": {"message", "type", "code", "param"}}."""
    return {"error": {"message": message, "type": type_, "code": code, "param": param}}
