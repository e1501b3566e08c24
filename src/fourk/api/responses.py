"""POST /responses and /v1/responses, and what every relayed endpoint shares."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from aiohttp import web
from aiohttp.client_exceptions import ClientConnectionResetError
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from fourk.api.context import REQUEST_ID, SERVICES
from fourk.errors import InvalidRequest
from fourk.protocols.client import decode_client
from fourk.protocols.responses.request import ResponsesRequest, decode_request
from fourk.protocols.wires import Wire
from fourk.services.authentication import Principal, bearer_token
from fourk.services.relay import ClientGone, Ticket


class _CoalescingResponse(web.StreamResponse):
    """A stream whose headers leave with its first bytes: one write instead of two per
    answer (aiohttp's plain StreamResponse flushes the headers alone at prepare)."""

    _send_headers_immediately = False


class AiohttpSink:
    """Writes a streamed answer to the aiohttp response, started on first use."""

    __slots__ = ("_request", "response")

    def __init__(self, request: web.Request) -> None:
        self._request = request
        self.response: web.StreamResponse | None = None

    async def start(self, status: int, headers: Mapping[str, str]) -> None:
        response = _CoalescingResponse(status=status, headers=headers)
        try:
            await response.prepare(self._request)
        except (ConnectionResetError, ClientConnectionResetError) as exc:
            raise ClientGone from exc
        self.response = response

    async def send(self, data: bytes) -> None:
        assert self.response is not None
        try:
            await self.response.write(data)
        except (ConnectionResetError, ClientConnectionResetError) as exc:
            raise ClientGone from exc

    async def finish(self, data: bytes) -> None:
        assert self.response is not None
        try:
            await self.response.write_eof(data)
        except (ConnectionResetError, ClientConnectionResetError) as exc:
            raise ClientGone from exc


async def read_body(request: web.Request) -> bytes:
    """The request body. aiohttp inflates gzip, deflate, br and zstd (Codex sends zstd when
    logged in with ChatGPT tokens); client_max_size bounds the inflated size."""
    try:
        return await request.read()
    except (RequestPayloadError, HttpProcessingError) as exc:
        raise InvalidRequest(
            "The request body could not be read: it is cut short or its Content-Encoding "
            f"({request.headers.get('Content-Encoding', 'none')}) does not match its bytes."
        ) from exc


async def create_response(request: web.Request) -> web.StreamResponse:
    started = time.monotonic()
    principal = await authenticate(request)
    body = decode_request(await read_body(request))
    return await relay(request, new_ticket(request, principal, body, started))


async def authenticate(request: web.Request) -> Principal:
    headers = request.headers
    return await request.app[SERVICES].authenticator.authenticate(
        bearer_token(headers.get("Authorization"), headers.get("x-api-key"))
    )


def new_ticket(
    request: web.Request, principal: Principal, body: ResponsesRequest, started: float
) -> Ticket:
    headers = request.headers
    return Ticket(
        request_id=request[REQUEST_ID],
        principal=principal,
        request=body,
        client=decode_client(headers.get("originator"), headers.get("User-Agent")),
        headers=headers,
        started=started,
    )


async def relay_client_body(
    request: web.Request,
    wire: Wire,
    decode: Callable[[dict[str, Any]], tuple[dict[str, Any], bool]],
) -> web.StreamResponse:
    """Relay a Chat or Messages request: `decode` gives its hub (Responses) body and whether
    the client asked for usage in the stream."""
    started = time.monotonic()
    principal = await authenticate(request)
    raw = await read_body(request)
    body = decode_json_object(raw)
    hub, include_usage = decode(body)
    hub_request = ResponsesRequest(
        model=str(hub["model"]), stream=bool(hub.get("stream")), body=hub, raw=raw
    )
    ticket = new_ticket(request, principal, hub_request, started)
    ticket.wire = wire
    ticket.client_body = body
    ticket.include_usage = include_usage
    return await relay(request, ticket)


def decode_json_object(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        raise InvalidRequest("The request body is empty; send a JSON object.")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"The request body is not valid JSON ({exc}).") from exc
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    return body


async def relay(request: web.Request, ticket: Ticket) -> web.StreamResponse:
    """Hand the ticket to the relay; a whole answer is returned, a stream has been sent."""
    sink = AiohttpSink(request)
    reply = await request.app[SERVICES].relay.responses(ticket, sink)
    if reply is not None:
        return web.Response(
            status=reply.status,
            body=reply.body,
            headers={**reply.headers, "X-Request-Id": ticket.request_id},
        )
    assert sink.response is not None
    return sink.response
