"""The operator's "Test" button: one tiny whole (non-streamed) Responses request through a
channel's provider, answered with OK and the latency or with what went wrong.

It goes around routing, failover and health on purpose: it tests this one channel, even a
disabled one, and its outcome does not change how live traffic is routed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from fourk.providers.base import Provider, UpstreamCall, UpstreamConnectError
from fourk.routing.channel import Channel

PROBE_INPUT = "Reply with the single word OK."
PROBE_TIMEOUT = 30.0  # at most; the server's total timeout if that is shorter
_BODY_LIMIT = 64 * 1024
_SHOWN = 300


@dataclass(frozen=True, slots=True)
class ProbeResult:
    ok: bool
    model: str  # the name the upstream received
    latency_ms: int
    status: int | None  # the upstream's HTTP status; None when it never answered
    message: str  # the answer's text when ok, else what went wrong

    def encode(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "model": self.model,
            "latency_ms": self.latency_ms,
            "status": self.status,
            "message": self.message,
        }


def probe_body(channel: Channel, model: str) -> tuple[str, bytes]:
    """The upstream model name and the request body (the channel's model map applies)."""
    upstream = channel.options.get("model_map", {}).get(model, model)
    body = {"model": upstream, "input": PROBE_INPUT, "max_output_tokens": 16, "stream": False}
    return upstream, orjson.dumps(body)


def describe_answer(status: int, body: bytes, secret: str | None) -> tuple[bool, str]:
    """(ok, message) from the upstream's answer; never repeats the channel's secret."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        payload = None
    if status == 200:
        if isinstance(payload, dict):
            return True, _output_text(payload) or "OK"
        return False, "HTTP 200, but the answer is not a JSON object"
    message = _error_message(payload) or body.decode("utf-8", "replace").strip()
    text = f"HTTP {status}: {message[:_SHOWN]}" if message else f"HTTP {status}"
    return False, text.replace(secret, "[secret]") if secret else text


def _output_text(payload: dict[str, Any]) -> str:
    parts: list[str] = []
    for item in payload.get("output") or []:
        for content in (item.get("content") or []) if isinstance(item, dict) else []:
            if isinstance(content, dict) and isinstance(content.get("text"), str):
                parts.append(content["text"])
    return "".join(parts).strip()[:_SHOWN]


def _error_message(payload: Any) -> str | None:
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    return None


async def probe_channel(
    provider: Provider,
    channel: Channel,
    model: str,
    within: float,
    clock: Callable[[], float] = time.monotonic,
) -> ProbeResult:
    upstream, body = probe_body(channel, model)
    call = UpstreamCall(channel=channel, operation="responses", body=body, stream=False)
    started = clock()

    def result(ok: bool, status: int | None, message: str) -> ProbeResult:
        return ProbeResult(ok, upstream, int((clock() - started) * 1000), status, message)

    try:
        async with asyncio.timeout(within):
            reply = await provider.open(call)
            try:
                answer = await reply.read_all(_BODY_LIMIT)
            finally:
                reply.close()
    except TimeoutError:
        return result(False, None, f"no answer within {within:g}s")
    except UpstreamConnectError as exc:
        return result(False, None, f"could not reach the upstream ({exc})")
    ok, message = describe_answer(reply.status, answer, channel.secret)
    return result(ok, reply.status, message)
