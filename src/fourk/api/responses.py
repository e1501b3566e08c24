"""POST /responses and /v1/responses."""

from __future__ import annotations

import time
from collections.abc import Mapping

import zstandard
from aiohttp import web
from aiohttp.client_exceptions import ClientConnectionResetError

from fourk.api.context import REQUEST_ID, SERVICES
from fourk.errors import BodyTooLarge, InvalidRequest
from fourk.protocols.client import decode_client
from fourk.protocols.responses.request import decode_request
from fourk.services.authentication import bearer_token
from fourk.services.relay import ClientGone, Ticket


class AiohttpSink:
    """Writes a streamed answer to the aiohttp response, started on first use."""

    __slots__ = ("_request", "response")

    def __init__(self, request: web.Request) -> None:
        self._request = request
        self.response: web.StreamResponse | None = None

    async def start(self, status: int, headers: Mapping[str, str]) -> None:
        response = web.StreamResponse(status=status, headers=headers)
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


async def read_body(request: web.Request, limit: int) -> bytes:
    raw = await request.read()
    if request.headers.get("Content-Encoding", "").lower() == "zstd":
        try:
            reader = zstandard.ZstdDecompressor().stream_reader(raw)
            raw = reader.read(limit + 1)
        except zstandard.ZstdError as exc:
            raise InvalidRequest(f"The zstd-compressed body could not be decoded ({exc}).") \
                from exc
        if len(raw) > limit:
            raise BodyTooLarge(f"The request body is larger than this service accepts "
                               f"({limit} bytes).")
    return raw


async def create_response(request: web.Request) -> web.StreamResponse:
    started = time.monotonic()
    services = request.app[SERVICES]
    headers = request.headers
    principal = await services.authenticator.authenticate(
        bearer_token(headers.get("Authorization"), headers.get("x-api-key"))
    )
    body = decode_request(await read_body(request, services.settings.max_body_bytes))
    ticket = Ticket(
        request_id=request[REQUEST_ID],
        principal=principal,
        request=body,
        client=decode_client(headers.get("originator"), headers.get("User-Agent")),
        headers=headers,
        started=started,
    )
    sink = AiohttpSink(request)
    reply = await services.relay.responses(ticket, sink)
    if reply is not None:
        return web.Response(status=reply.status, body=reply.body,
                            headers={**reply.headers, "X-Request-Id": ticket.request_id})
    assert sink.response is not None
    return sink.response
