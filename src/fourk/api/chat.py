"""POST /v1/chat/completions and /chat/completions: any OpenAI Chat client, any upstream."""

from __future__ import annotations

import time

import orjson
from aiohttp import web

from fourk.api.responses import authenticate, new_ticket, read_body, relay
from fourk.errors import InvalidRequest
from fourk.protocols.chat.request_decode import decode_chat_request
from fourk.protocols.responses.request import ResponsesRequest


async def create_chat_completion(request: web.Request) -> web.StreamResponse:
    started = time.monotonic()
    principal = await authenticate(request)
    raw = await read_body(request)
    body = decode_json_object(raw)
    decoded = decode_chat_request(body)
    hub = ResponsesRequest(
        model=str(decoded.body["model"]),
        stream=bool(decoded.body.get("stream")),
        body=decoded.body,
        raw=raw,
    )
    ticket = new_ticket(request, principal, hub, started)
    ticket.wire = "chat"
    ticket.client_body = body
    ticket.include_usage = decoded.include_usage
    return await relay(request, ticket)


def decode_json_object(raw: bytes) -> dict[str, object]:
    if not raw.strip():
        raise InvalidRequest("The request body is empty; send a JSON object.")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"The request body is not valid JSON ({exc}).") from exc
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    return body
