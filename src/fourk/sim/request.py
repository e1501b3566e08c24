"""A request as the simulator needs it, whichever protocol it came in (pure).

Personas read an OpenAI Responses-shaped body (`model`, `input` items, `tools`). A Responses
request is that already; `chat_request` and `anthropic_request` read the other protocols
into it, on their own, without fourk's protocol code. Bad input raises
`fourk.errors.InvalidRequest`, which the simulator answers as a 400 in the route's shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fourk.errors import InvalidRequest
from fourk.sim.responses_wire import JSONObject


@dataclass(frozen=True, slots=True)
class SimRequest:
    body: Mapping[str, object]
    """The Responses-shaped view the persona reads."""
    model: str
    stream: bool
    include_usage: bool = False
    """Chat only: `stream_options.include_usage` asked for a final usage chunk."""
    max_tokens: int | None = None
    """Chat and Anthropic: where the model must stop (see `answer.cap_answer`)."""


def read_responses_request(body: Mapping[str, object]) -> SimRequest:
    """A Responses request: the body is what personas read; only `model` is required."""
    model = require_model(body, "Missing required parameter: 'model'.")
    return SimRequest(body=body, model=model, stream=body.get("stream") is True)


def require_model(body: Mapping[str, object], message: str) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest(message, code="missing_required_parameter", param="model")
    return model


def optional_count(body: Mapping[str, object], name: str) -> int | None:
    """A positive integer field such as `max_tokens`, or None when it is absent."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidRequest(f"{name}: must be an integer of at least 1", param=name)
    return value


def require_list(body: Mapping[str, object], name: str, message: str) -> list[object]:
    value = body.get(name)
    if not isinstance(value, list) or not value:
        raise InvalidRequest(message, param=name)
    return value


def message_item(role: str, text: str) -> JSONObject:
    return {"type": "message", "role": role, "content": text}


def function_call_item(call_id: str, name: str, arguments: str) -> JSONObject:
    return {"type": "function_call", "call_id": call_id, "name": name, "arguments": arguments}


def tool_output_item(call_id: str, output: str) -> JSONObject:
    return {"type": "function_call_output", "call_id": call_id, "output": output}


def reasoning_item(text: str, signature: str | None) -> JSONObject:
    item: JSONObject = {"type": "reasoning", "summary": [{"type": "summary_text", "text": text}]}
    if signature is not None:
        item["encrypted_content"] = signature
    return item


def function_tool(name: str, parameters: object) -> JSONObject:
    return {"type": "function", "name": name, "parameters": parameters}
