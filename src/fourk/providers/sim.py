"""The built-in simulator as an upstream, in process (used by `fourk serve --demo`).

It answers like an OpenAI Responses server, so the relay treats it exactly like one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import orjson

from fourk.providers.base import UpstreamCall, UpstreamConnectError, UpstreamReply, read_up_to
from fourk.sim.options import SimOptions
from fourk.sim.simulator import SimConnectionCut, Simulator

DEMO_OPTIONS = SimOptions(gap_ms=15.0)


class SimReplyAdapter:
    __slots__ = ("_body", "headers", "status")

    def __init__(
        self, status: int, headers: Mapping[str, str], body: bytes | AsyncIterator[bytes]
    ) -> None:
        self.status = status
        self.headers = headers
        self._body = body

    async def read_chunk(self) -> bytes:
        if isinstance(self._body, bytes):
            chunk, self._body = self._body, b""
            return chunk
        try:
            return await anext(self._body, b"")
        except SimConnectionCut as exc:
            raise UpstreamConnectError("simulated upstream cut the stream") from exc

    async def read_all(self, limit: int) -> bytes:
        return await read_up_to(self.read_chunk, limit)

    def close(self) -> None:
        if not isinstance(self._body, bytes):
            self._body = b""


class SimProvider:
    kind = "sim"
    wire = "responses"

    def __init__(self, options: SimOptions = DEMO_OPTIONS) -> None:
        self._simulator = Simulator(options)

    async def open(self, call: UpstreamCall) -> UpstreamReply:
        try:
            body = orjson.loads(call.body)
            reply = await self._simulator.respond(
                body,
                headers={
                    k.lower(): v for k, v in call.headers.items() if k.lower().startswith("x-sim-")
                },
                request_size=len(call.body),
                stream=call.stream,
            )
        except SimConnectionCut as exc:
            raise UpstreamConnectError("simulated upstream cut the connection") from exc
        return SimReplyAdapter(reply.status, reply.headers, reply.body)

    async def close(self) -> None:
        return None
