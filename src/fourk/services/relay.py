"""The one orchestrator of a relayed request:

authenticate (done by the caller) → limits and money → pick channels → open upstream with
failover → stream the answer back (passed through, or translated through the hub when the
client and the upstream speak different protocols) → price, log and charge together.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from fourk.billing.estimate import input_tokens_from_body
from fourk.billing.usage import Usage
from fourk.billing.wallet import Hold
from fourk.errors import FourkError, ModelNotFound
from fourk.limits import Admission
from fourk.protocols.client import ClientInfo
from fourk.protocols.hub.tools import ToolSet
from fourk.protocols.pipes import Pipe
from fourk.protocols.responses.request import ResponsesRequest
from fourk.protocols.wires import Wire
from fourk.providers.base import Provider, UpstreamConnectError, UpstreamReply
from fourk.routing.channel import Channel
from fourk.routing.health import ChannelHealth
from fourk.routing.select import order_candidates
from fourk.services.authentication import Principal
from fourk.services.billing import Biller
from fourk.services.compaction import Compactor
from fourk.services.directory import Directory
from fourk.services.limits_gate import LimitsGate
from fourk.services.log_writer import LogWriter
from fourk.services.translation import Translation
from fourk.services.upstream_attempts import Failures, final_error, open_first
from fourk.settings import Settings
from fourk.store.logs import LogRow

log = logging.getLogger("fourk.relay")

ENDPOINTS: dict[Wire, str] = {
    "responses": "responses",
    "chat": "chat.completions",
    "messages": "messages",
}
"""The request log's name for what the client called."""

SSE_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}


class ClientGone(Exception):
    """The client closed its connection while we were answering."""


class ClientSink(Protocol):
    """Where a streamed answer goes (the HTTP layer implements it)."""

    async def start(self, status: int, headers: Mapping[str, str]) -> None: ...

    async def send(self, data: bytes) -> None: ...

    async def finish(self, data: bytes) -> None:
        """Send the last bytes and end the answer (one write where the transport allows)."""
        ...


@dataclass(frozen=True, slots=True)
class Reply:
    """A whole (non-streamed) answer."""

    status: int
    body: bytes
    headers: Mapping[str, str]


@dataclass(slots=True)
class Ticket:
    """One request's facts as the relay learns them; becomes its log row."""

    request_id: str
    principal: Principal
    request: ResponsesRequest
    client: ClientInfo
    headers: Mapping[str, str]
    started: float
    hold: Hold | None = None  # money set aside until the request is settled
    admission: Admission | None = None  # its place in the key's and user's limits
    usage: Usage | None = None  # as the upstream reported it
    sent_bytes: int = 0  # what went to the client, to bill a stream that lost its usage
    sent_events: int = 0
    wire: Wire = "responses"  # the client's protocol; `request` is always in the hub's
    client_body: dict[str, object] | None = None  # the client's own body (Chat, Messages)
    include_usage: bool = False  # a Chat client asked for the usage chunk
    tools: dict[int, ToolSet] | None = None  # per channel tried: how its tool names map back


class Relay:
    def __init__(
        self,
        *,
        settings: Settings,
        directory: Directory,
        providers: Mapping[str, Provider],
        writer: LogWriter,
        health: ChannelHealth,
        biller: Biller | None = None,
        limits: LimitsGate | None = None,
        compactor: Compactor | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._directory = directory
        self._providers = providers
        self._writer = writer
        self._health = health
        self._biller = biller
        self._limits = limits
        self._translation = Translation(directory, providers, compactor)
        self._rng = rng or random.Random()
        self._clock = clock

    async def responses(self, ticket: Ticket, sink: ClientSink) -> Reply | None:
        """Relay one Responses request. Streams go to `sink` (returns None); whole answers
        are returned. Errors before the first byte are raised as FourkError."""
        row = self._row(ticket)
        try:
            return await self._relay(ticket, row, sink)
        finally:  # ended without reaching _finish's settlement
            if self._biller is not None and ticket.hold is not None:
                await self._biller.release(ticket.hold)
            if self._limits is not None and ticket.admission is not None:
                await self._limits.finish(ticket.admission, 0, 0)

    async def _relay(self, ticket: Ticket, row: LogRow, sink: ClientSink) -> Reply | None:
        try:
            candidates = self._candidates(ticket.principal, ticket.request.model)
            await self._admit(ticket)
            opened, failures = await open_first(
                candidates[: self._settings.max_attempts],
                self._providers,
                lambda channel: self._translation.call(ticket, channel),
                self._health,
                self._settings.first_byte_timeout,
                self._clock,
            )
            row.attempts = max(1, failures.count + (1 if opened else 0))
            if opened is None:
                raise final_error(
                    ticket.request.model,
                    failures,
                    ticket.request_id,
                    self._settings.retry_after_default,
                )
        except FourkError as error:
            await self._finish(row, ticket, error.status, error.code, error.message)
            raise
        row.channel_id = opened.channel.id
        if not ticket.request.stream:
            return await self._whole(ticket, row, opened.channel, opened.reply)
        pipe = self._translation.pipe(ticket, opened.channel)
        await self._stream(ticket, row, pipe, opened.reply, opened.first_chunk, sink)
        return None

    async def _admit(self, ticket: Ticket) -> None:
        """Money first (the worst case set aside), then the key's and user's limits."""
        output = _output_cap(ticket.request.body) or self._settings.output_reserve
        if self._biller is not None:
            ticket.hold = await self._biller.reserve(
                ticket.principal, ticket.request.model, len(ticket.request.raw), output
            )
        if self._limits is not None:
            tokens = input_tokens_from_body(len(ticket.request.raw)) + output
            spend = ticket.hold.amount if ticket.hold is not None else 0
            ticket.admission = await self._limits.admit(ticket.principal, tokens, spend)

    def _candidates(self, principal: Principal, model: str) -> list[Channel]:
        channels = self._directory.by_model.get(model, [])
        if not channels or not principal.key.allows(model):
            raise self._model_not_found(principal, model)
        return order_candidates(channels, self._rng, self._health.cooling_until, self._clock())

    def _model_not_found(self, principal: Principal, model: str) -> ModelNotFound:
        available = [m for m in self._directory.served_models() if principal.key.allows(m)]
        names = ", ".join(available) if available else "none (ask the operator)"
        near = [m for m in available if m.lower() == model.lower() or m.strip() == model.strip()]
        hint = (
            f" Did you mean '{near[0]}'? Names must match exactly."
            if near
            else (" Use one of these names exactly in config.toml (model and review_model).")
        )
        if available and not principal.key.allows(model) and model in self._directory.by_model:
            return ModelNotFound(
                f"This API key may not use model '{model}'. Models this key may use: {names}.",
                param="model",
            )
        return ModelNotFound(
            f"The model '{model}' does not exist here.{hint} Available models: {names}.",
            param="model",
        )

    async def _whole(
        self, ticket: Ticket, row: LogRow, channel: Channel, reply: UpstreamReply
    ) -> Reply:
        try:
            async with asyncio.timeout(self._settings.total_timeout):
                body = await reply.read_all(self._settings.max_body_bytes)
        except (TimeoutError, UpstreamConnectError) as exc:
            reply.close()
            await self._finish(row, ticket, 504, "upstream_timeout", str(exc) or "timeout")
            raise final_error(
                ticket.request.model,
                Failures(timeouts=1),
                ticket.request_id,
                self._settings.retry_after_default,
            ) from exc
        reply.close()
        row.ttfb_ms = self._ms_since(ticket.started)
        body, usage = self._translation.whole(ticket, channel, body)
        ticket.sent_bytes = len(body)
        self._apply_usage(row, ticket, usage)
        await self._finish(row, ticket, 200, None, None)
        return Reply(status=200, body=body, headers={"Content-Type": "application/json"})

    async def _stream(
        self,
        ticket: Ticket,
        row: LogRow,
        pipe: Pipe,
        reply: UpstreamReply,
        first: bytes,
        sink: ClientSink,
    ) -> None:
        started_sending = False
        chunk = first
        try:
            async with asyncio.timeout(self._remaining(ticket)):
                while True:
                    send, final = pipe.feed(chunk) if chunk else pipe.flush()
                    if (send or final is not None) and not started_sending:
                        await sink.start(200, {**SSE_HEADERS, "X-Request-Id": ticket.request_id})
                        started_sending = True
                        row.ttfb_ms = self._ms_since(ticket.started)
                    if send:
                        ticket.sent_bytes += len(send)
                        ticket.sent_events += send.count(b"\n\n")
                        await sink.send(send)
                    if final is not None:
                        await self._end_stream(ticket, row, pipe, final, sink)
                        return
                    if not chunk:
                        break
                    chunk = await reply.read_chunk()
            reason, message = (
                "upstream_incomplete",
                ("The upstream closed the stream before the response completed."),
            )
        except TimeoutError:
            reason, message = (
                "upstream_timeout",
                ("The upstream went silent for too long in the middle of the response."),
            )
        except UpstreamConnectError:
            reason, message = (
                "upstream_incomplete",
                ("The upstream connection broke in the middle of the response."),
            )
        except ClientGone:
            await self._finish(
                row,
                ticket,
                499,
                "client_closed",
                "The client closed the connection before the response completed.",
            )
            return
        finally:
            reply.close()
        await self._fail_stream(ticket, row, pipe, sink, started_sending, reason, message)

    async def _end_stream(
        self, ticket: Ticket, row: LogRow, pipe: Pipe, final: bytes, sink: ClientSink
    ) -> None:
        outcome = pipe.outcome
        assert outcome is not None
        self._apply_usage(row, ticket, outcome.usage)
        # The log row is durable before the final event leaves (see log_writer).
        await self._finish(row, ticket, 200, outcome.error_code, outcome.error_message)
        await sink.finish(final)

    async def _fail_stream(
        self,
        ticket: Ticket,
        row: LogRow,
        pipe: Pipe,
        sink: ClientSink,
        started_sending: bool,
        reason: str,
        message: str,
    ) -> None:
        text = f"{message} Codex will retry. (request {ticket.request_id})"
        await self._finish(row, ticket, 200 if started_sending else 502, reason, text)
        try:
            if not started_sending:
                await sink.start(200, {**SSE_HEADERS, "X-Request-Id": ticket.request_id})
            await sink.finish(pipe.failure(reason, text))
        except ClientGone:
            pass

    def _row(self, ticket: Ticket) -> LogRow:
        return LogRow(
            request_id=ticket.request_id,
            created_at=datetime.now(UTC),
            user_id=ticket.principal.user.id,
            key_id=ticket.principal.key.id,
            model=ticket.request.model[:128],
            endpoint=ENDPOINTS[ticket.wire],
            stream=ticket.request.stream,
            status=0,
            duration_ms=0,
            client=ticket.client.name,
            client_version=ticket.client.version,
        )

    async def _finish(
        self, row: LogRow, ticket: Ticket, status: int, code: str | None, message: str | None
    ) -> None:
        if row.status:
            return  # already written: one row per request, whatever happens after
        row.status = status
        row.error_code = code
        row.error_message = message[:1000] if message else None
        row.duration_ms = self._ms_since(ticket.started)
        if self._biller is None:
            await self._writer.write(row)
            return
        streamed = (ticket.sent_bytes, ticket.sent_events)
        hold, ticket.hold = ticket.hold, None
        admission, ticket.admission = ticket.admission, None
        size = len(ticket.request.raw)
        await self._biller.price(row, hold, ticket.principal, ticket.usage, size, streamed)
        try:
            await self._writer.write(row)  # the row, its charge and the balance, together
        finally:
            await self._biller.settle(hold, row.cost)
            if self._limits is not None:
                used = row.input_tokens + row.output_tokens
                await self._limits.finish(admission, used, row.cost)

    @staticmethod
    def _apply_usage(row: LogRow, ticket: Ticket, usage: Usage | None) -> None:
        if usage is None:
            return
        ticket.usage = usage
        row.input_tokens = usage.input_tokens
        row.cached_tokens = usage.cached_tokens
        row.output_tokens = usage.output_tokens
        row.reasoning_tokens = usage.reasoning_tokens

    def _remaining(self, ticket: Ticket) -> float:
        return max(0.001, self._settings.total_timeout - (self._clock() - ticket.started))

    def _ms_since(self, start: float) -> int:
        return int((self._clock() - start) * 1000)


def _output_cap(body: Mapping[str, object]) -> int | None:
    cap = body.get("max_output_tokens")
    return cap if isinstance(cap, int) and not isinstance(cap, bool) else None
