"""POST /v1/messages: Anthropic clients (Claude Code, the anthropic SDK), any upstream."""

from __future__ import annotations

import time

from aiohttp import web

from fourk.api.chat import decode_json_object
from fourk.api.responses import authenticate, new_ticket, read_body, relay
from fourk.protocols.messages.request_decode import decode_messages_request
from fourk.protocols.responses.request import ResponsesRequest


async def create_message(request: web.Request) -> web.StreamResponse:
    started = time.monotonic()
    principal = await authenticate(request)
    raw = await read_body(request)
    body = decode_json_object(raw)
    decoded = decode_messages_request(body)
    hub = ResponsesRequest(
        model=str(decoded.body["model"]),
        stream=bool(decoded.body.get("stream")),
        body=decoded.body,
        raw=raw,
    )
    ticket = new_ticket(request, principal, hub, started)
    ticket.wire = "messages"
    ticket.client_body = body
    return await relay(request, ticket)
