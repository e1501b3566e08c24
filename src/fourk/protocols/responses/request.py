"""Decoding and checking an inbound Responses request body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from fourk.errors import InvalidRequest

# Fields Codex adds that a strict upstream may reject (wire-protocol reference §1.1).
CODEX_TOP_LEVEL_EXTRAS = ("client_metadata",)
CODEX_ITEM_EXTRAS = ("internal_chat_message_metadata_passthrough",)


@dataclass(frozen=True, slots=True)
class ResponsesRequest:
    model: str
    stream: bool
    body: dict[str, Any]
    raw: bytes  # the body as the client sent it, forwarded untouched when possible


def decode_request(raw: bytes) -> ResponsesRequest:
    if not raw.strip():
        raise InvalidRequest(
            "The request body is empty; send a JSON object with 'model' and 'input'."
        )
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"The request body is not valid JSON ({exc}).") from exc
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    model = body.get("model")
    if model is None or model == "":
        raise InvalidRequest("Missing required parameter: 'model'.", param="model")
    if not isinstance(model, str):
        raise InvalidRequest("'model' must be a string.", param="model")
    if "input" not in body:
        raise InvalidRequest("Missing required parameter: 'input'.", param="input")
    if not isinstance(body["input"], str | list):
        raise InvalidRequest("'input' must be a string or a list of items.", param="input")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise InvalidRequest("'stream' must be true or false.", param="stream")
    for name in ("max_output_tokens",):
        value = body.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise InvalidRequest(f"'{name}' must be an integer.", param=name)
    return ResponsesRequest(model=model, stream=stream, body=body, raw=raw)


def encode_request(
    request: ResponsesRequest, *, model: str | None = None, strip_extras: bool = False
) -> bytes:
    """The body to send upstream, with the upstream's model name and Codex extras removed
    when the channel asks for it."""
    body = dict(request.body)
    if model is not None:
        body["model"] = model
    if strip_extras:
        for name in CODEX_TOP_LEVEL_EXTRAS:
            body.pop(name, None)
        items = body.get("input")
        if isinstance(items, list):
            body["input"] = [_strip_item(item) for item in items]
    return orjson.dumps(body)


def _strip_item(item: Any) -> Any:
    if not isinstance(item, dict) or not any(k in item for k in CODEX_ITEM_EXTRAS):
        return item
    return {k: v for k, v in item.items() if k not in CODEX_ITEM_EXTRAS}
