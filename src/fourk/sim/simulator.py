"""The simulated upstream without HTTP: a request body in, a status, headers and body out.

`Simulator.respond` is what the HTTP server (`server.py`) and an in-process provider
(`fourk serve --demo`) both call. The pure layers decide and encode the answer; this
layer applies the queued fault and the pacing, sleeping with asyncio between events.
The stream is an async generator: events are encoded only as they are about to go out,
a run of unpaced events at a time (see `SimOptions.coalesce`), never the whole stream.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field

import orjson

from fourk.errors import InvalidRequest
from fourk.sim.answer import Answer, cap_answer, plan_answer
from fourk.sim.dialect import RESPONSES, Dialect, EventSource, dialect_named
from fourk.sim.faults import (
    CutFault,
    DelayHeadersFault,
    FailedFault,
    Fault,
    FaultQueue,
    MalformedFault,
    NoCompletedFault,
    StallFault,
    StatusFault,
)
from fourk.sim.ids import IdFactory, random_id
from fourk.sim.options import Pacing, PacingError, SimOptions, decode_pacing
from fourk.sim.persona import persona_named
from fourk.sim.request import SimRequest
from fourk.sim.responses_wire import JSONObject
from fourk.sim.timeline import MALFORMED_EVENT, Cut, Pause, Step, plan_timeline

COALESCE_BYTES = 32 * 1024
SSE_CONTENT_TYPE = "text/event-stream; charset=utf-8"
JSON_CONTENT_TYPE = "application/json"

Sleep = Callable[[float], Awaitable[None]]


class SimConnectionCut(ConnectionError):
    """The simulated upstream dropped the connection (a `cut` fault)."""


class SimHTTPError(Exception):
    """A non-200 answer where only a stream was expected (`stream_response`)."""

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        super().__init__(f"simulated upstream answered HTTP {status}")
        self.status = status
        self.headers = headers
        self.body = body


@dataclass(frozen=True, slots=True)
class SimReply:
    """An answer: `body` is bytes for JSON, an async iterator of SSE events for a stream."""

    status: int
    body: bytes | AsyncIterator[bytes]
    headers: Mapping[str, str] = field(default_factory=dict)


def json_reply(status: int, payload: object, headers: Mapping[str, str] | None = None) -> SimReply:
    return SimReply(
        status=status,
        body=orjson.dumps(payload),
        headers={"content-type": JSON_CONTENT_TYPE, **(headers or {})},
    )


def error_reply(
    status: int,
    message: str,
    type_: str,
    code: str | None = None,
    param: str | None = None,
    *,
    dialect: Dialect = RESPONSES,
) -> SimReply:
    """An error answer in the dialect's shape (`type_` is the OpenAI error type)."""
    return json_reply(status, dialect.error_body(status, message, type_, code, param))


class Simulator:
    """One simulated upstream: its options and its queue of pending faults."""

    __slots__ = ("_clock", "_new_id", "_sleep", "faults", "options")

    def __init__(
        self,
        options: SimOptions,
        faults: FaultQueue | None = None,
        *,
        new_id: IdFactory = random_id,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.options = options
        self.faults = faults if faults is not None else FaultQueue()
        self._new_id = new_id
        self._clock = clock
        self._sleep = sleep

    async def respond(
        self,
        body: object,
        *,
        headers: Mapping[str, str] | None = None,
        request_size: int | None = None,
        stream: bool | None = None,
        protocol: str = "responses",
    ) -> SimReply:
        """Answer a decoded request body in `protocol` ("responses", "chat", "anthropic").

        `headers` (lowercase names) may carry `x-sim-*` overrides; `request_size` is the
        body's size in bytes (re-encoded when not given); `stream` overrides the body's.
        Raises SimConnectionCut for a `cut` fault on a non-streaming request.
        """
        dialect = dialect_named(protocol)
        checked = self._check(dialect, body, headers or {})
        if isinstance(checked, SimReply):
            return checked
        request, pacing = checked
        fault = self.faults.take(request.model)
        if isinstance(fault, DelayHeadersFault):
            await self._sleep(fault.seconds)
        if isinstance(fault, StatusFault):
            return _status_reply(dialect, fault)
        streaming = request.stream if stream is None else stream
        size = len(orjson.dumps(body)) if request_size is None else request_size
        answer = self._plan(dialect, request, pacing, size, streaming)
        if streaming:
            headers_out = {
                "content-type": SSE_CONTENT_TYPE,
                "cache-control": "no-cache",
                "x-request-id": self._new_id("req"),
            }
            return SimReply(200, self._stream(dialect, answer, request, pacing, fault), headers_out)
        return await self._whole(dialect, answer, fault)

    def _check(
        self, dialect: Dialect, body: object, headers: Mapping[str, str]
    ) -> tuple[SimRequest, Pacing] | SimReply:
        """The request as read and the pacing in force; or the 400 to answer instead."""
        if not isinstance(body, dict):
            message = "The request body must be a JSON object."
            return error_reply(400, message, "invalid_request_error", dialect=dialect)
        try:
            return dialect.read(body), decode_pacing(self.options, headers)
        except InvalidRequest as exc:
            return error_reply(400, exc.message, exc.type, exc.code, exc.param, dialect=dialect)
        except PacingError as exc:
            return error_reply(400, str(exc), "invalid_request_error", dialect=dialect)

    def _plan(
        self, dialect: Dialect, request: SimRequest, pacing: Pacing, size: int, streaming: bool
    ) -> Answer:
        answer = plan_answer(
            request.body,
            persona_named(pacing.persona),
            dialect.ids(self._new_id),
            model=request.model,
            now=self._clock(),
            request_size=size,
            cached_tokens=self.options.cached_tokens,
            chunks=pacing.chunks if streaming else 1,
        )
        return cap_answer(answer, request.max_tokens)

    async def _whole(self, dialect: Dialect, answer: Answer, fault: Fault | None) -> SimReply:
        """The `stream: false` answer; stream faults get their nearest JSON equivalent."""
        match fault:
            case StallFault(seconds=seconds):
                await self._sleep(seconds)
            case CutFault():
                raise SimConnectionCut("simulated upstream dropped the connection")
            case MalformedFault():
                return SimReply(200, MALFORMED_EVENT[6:-2], {"content-type": JSON_CONTENT_TYPE})
            case FailedFault(code=code, message=message, error_type=error_type):
                type_ = error_type or "server_error"
                return error_reply(500, message, type_, code, dialect=dialect)
            case _:
                pass
        return json_reply(200, dialect.whole(answer, self._new_id))

    def _stream(
        self,
        dialect: Dialect,
        answer: Answer,
        request: SimRequest,
        pacing: Pacing,
        fault: Fault | None,
    ) -> AsyncIterator[bytes]:
        events = dialect.stream(answer, request, self._new_id, pacing.chunks)
        steps = plan_timeline(
            _source(events, fault),
            ttft=pacing.ttft_ms / 1000,
            gap=pacing.gap_ms / 1000,
            fault=fault,
            malformed=dialect.malformed_event,
        )
        return self._play(steps)

    async def _play(self, steps: Iterator[Step]) -> AsyncIterator[bytes]:
        """Walk a timeline: sleep on pauses, raise on a cut, yield events.

        With `coalesce`, events with no pause between them leave as one chunk (at most
        about COALESCE_BYTES), so an unpaced stream costs one write instead of one per event.
        """
        coalesce = self.options.coalesce
        pending: list[bytes] = []
        size = 0
        for step in steps:
            if isinstance(step, bytes):
                if not coalesce:
                    yield step
                    continue
                pending.append(step)
                size += len(step)
                if size < COALESCE_BYTES:
                    continue
            if pending:
                yield b"".join(pending)
                pending.clear()
                size = 0
            if isinstance(step, Pause):
                await self._sleep(step.seconds)
            elif isinstance(step, Cut):
                raise SimConnectionCut("simulated upstream dropped the connection")
        if pending:
            yield b"".join(pending)


async def stream_response(
    body: JSONObject,
    options: SimOptions,
    faults: FaultQueue | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    request_size: int | None = None,
    protocol: str = "responses",
) -> AsyncIterator[bytes]:
    """The SSE bytes of one streamed answer, in chunks of whole events, without HTTP.

    Raises SimHTTPError for a non-200 answer (a `status` fault, a bad body) and
    SimConnectionCut for a `cut` fault, as an HTTP client would see them.
    """
    simulator = Simulator(options, faults)
    reply = await simulator.respond(
        body, headers=headers, request_size=request_size, stream=True, protocol=protocol
    )
    if isinstance(reply.body, bytes):
        raise SimHTTPError(reply.status, reply.headers, reply.body)
    async for chunk in reply.body:
        yield chunk


def _source(events: EventSource, fault: Fault | None) -> Iterator[bytes]:
    if isinstance(fault, FailedFault):
        return events.failing(fault)
    if isinstance(fault, NoCompletedFault):
        return events.unfinished()
    return events.events()


def _status_reply(dialect: Dialect, fault: StatusFault) -> SimReply:
    headers = dict(fault.headers)
    if fault.retry_after is not None:
        seconds = fault.retry_after
        headers["retry-after"] = str(int(seconds)) if seconds == int(seconds) else str(seconds)
    return json_reply(fault.status, dialect.status_body(fault), headers)
