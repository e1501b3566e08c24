"""Opening an upstream call with failover: try candidates in order until one answers.

Failover happens only here, before the first byte has gone to the client: a reply counts as
opened once its status is 200 and (for streams) its first chunk has arrived.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import orjson

from fourk.errors import (
    FourkError,
    InvalidRequest,
    RateLimited,
    UpstreamFailed,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from fourk.protocols.wires import decode_error
from fourk.providers.base import Provider, UpstreamCall, UpstreamConnectError, UpstreamReply
from fourk.routing.channel import Channel
from fourk.routing.health import ChannelHealth

log = logging.getLogger("fourk.upstream")

# Upstream statuses that are the client's own fault: passed back, never failed over.
CLIENT_FAULT_STATUSES = frozenset({400, 413, 422})
_ERROR_BODY_LIMIT = 64 * 1024
MAX_RETRY_AFTER = 3600.0


@dataclass(slots=True)
class Opened:
    channel: Channel
    reply: UpstreamReply
    first_chunk: bytes


@dataclass(slots=True)
class Failures:
    """What went wrong on each channel tried, to pick the error the client gets."""

    statuses: list[int] = field(default_factory=list)
    timeouts: int = 0
    unreachable: int = 0
    retry_afters: list[float] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statuses) + self.timeouts + self.unreachable

    def summary(self) -> str:
        parts = [f"HTTP {s}" for s in self.statuses]
        parts += ["timeout"] * self.timeouts + ["unreachable"] * self.unreachable
        return ", ".join(parts)


async def open_first(
    candidates: Sequence[Channel],
    providers: Mapping[str, Provider],
    make_call: Callable[[Channel], UpstreamCall],
    health: ChannelHealth,
    first_byte_timeout: float,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[Opened | None, Failures]:
    """The first candidate that opens, or None with what each failure was.

    Raises the upstream's own error when it blames the request (400, 413, 422)."""
    failures = Failures()
    for channel in candidates:
        provider = providers.get(channel.kind)
        if provider is None:
            log.error("channel %s has unknown kind %r", channel.name, channel.kind)
            failures.unreachable += 1
            continue
        call = make_call(channel)
        try:
            async with asyncio.timeout(first_byte_timeout):
                reply = await provider.open(call)
                if reply.status == 200:
                    first = await reply.read_chunk() if call.stream else b""
                    health.succeeded(channel.id)
                    return Opened(channel, reply, first), failures
                body = await reply.read_all(_ERROR_BODY_LIMIT)
                reply.close()
        except TimeoutError:
            log.warning("channel %s: no first byte within %.1fs", channel.name, first_byte_timeout)
            failures.timeouts += 1
            health.failed(channel.id, clock())
            continue
        except UpstreamConnectError as exc:
            log.warning("channel %s: unreachable (%s)", channel.name, exc)
            failures.unreachable += 1
            health.failed(channel.id, clock())
            continue
        if reply.status in CLIENT_FAULT_STATUSES:
            raise client_fault(reply.status, body, provider.wire)
        retry_after = _retry_after(reply.headers)
        log.warning("channel %s: upstream answered %d", channel.name, reply.status)
        failures.statuses.append(reply.status)
        if retry_after is not None:
            failures.retry_afters.append(retry_after)
        health.failed(channel.id, clock(), retry_after if reply.status == 429 else None)
    return None, failures


def final_error(
    model: str, failures: Failures, request_id: str, retry_after_default: int
) -> FourkError:
    """The one error for a request that no channel could serve."""
    tried = f"tried {failures.count} channel(s): {failures.summary()}"
    if (
        failures.statuses
        and all(s == 429 for s in failures.statuses)
        and not (failures.timeouts or failures.unreachable)
    ):
        wait = min(failures.retry_afters) if failures.retry_afters else retry_after_default
        return RateLimited(
            f"Every upstream for model '{model}' is rate limited right now ({tried}). "
            f"Please try again in {math.ceil(max(1, wait))}s. (request {request_id})",
            retry_after=math.ceil(max(1, wait)),
        )
    if failures.timeouts and not failures.statuses and not failures.unreachable:
        return UpstreamTimeout(
            f"The upstream for model '{model}' did not answer in time ({tried}). "
            f"(request {request_id})"
        )
    if failures.statuses:
        return UpstreamFailed(
            f"The upstream for model '{model}' failed ({tried}). If this keeps happening, "
            f"tell the operator. (request {request_id})"
        )
    return UpstreamUnavailable(
        f"No upstream for model '{model}' could be reached ({tried}). If this keeps "
        f"happening, tell the operator. (request {request_id})"
    )


def client_fault(status: int, body: bytes, wire: str = "responses") -> FourkError:
    """The upstream refused the request itself: pass its reason on, in our shape (with the
    code Codex knows, e.g. context_length_exceeded, when another protocol said it)."""
    message, code, param = _upstream_error(body)
    if wire in ("chat", "messages"):
        decoded = decode_error("chat" if wire == "chat" else "messages", status, body)
        if decoded is not None:
            code = code if decoded[0] == "server_error" else decoded[0]
            message = decoded[1] or message
    error = InvalidRequest(
        message or f"The upstream rejected the request (HTTP {status}).", code=code, param=param
    )
    if status == 413:
        error.code = code or "request_too_large"
    return error


def _upstream_error(body: bytes) -> tuple[str | None, str | None, str | None]:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        text = body.decode("utf-8", errors="replace").strip()
        return (text[:500] or None), None, None
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return None, None, None
    fields = [error.get(name) for name in ("message", "code", "param")]
    message, code, param = (value if isinstance(value, str) else None for value in fields)
    return message, code, param


def _retry_after(headers: Mapping[str, str]) -> float | None:
    raw = headers.get("Retry-After") or headers.get("retry-after")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return min(value, MAX_RETRY_AFTER)
