"""Choosing the one error a client gets when no channel served it, and upstream 4xx bodies."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import orjson
import pytest

from fourk.errors import (
    InvalidRequest,
    RateLimited,
    UpstreamFailed,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from fourk.providers.base import UpstreamCall, UpstreamConnectError, UpstreamReply
from fourk.routing.channel import Channel
from fourk.routing.health import ChannelHealth
from fourk.services.upstream_attempts import Failures, client_fault, final_error, open_first


def final(failures: Failures, default: int = 5) -> object:
    return final_error("gpt-5-codex", failures, "req_123", default)


def test_all_rate_limited_gives_429_with_the_smallest_retry_after() -> None:
    error = final(Failures(statuses=[429, 429, 429], retry_afters=[30.0, 4.0, 12.0]))
    assert isinstance(error, RateLimited)
    assert error.status == 429
    assert error.retry_after == 4
    assert error.headers() == {"Retry-After": "4"}
    assert "try again in 4s" in error.message
    assert "gpt-5-codex" in error.message
    assert "req_123" in error.message


def test_all_rate_limited_without_retry_after_uses_the_default() -> None:
    error = final(Failures(statuses=[429, 429]), default=9)
    assert isinstance(error, RateLimited)
    assert error.headers() == {"Retry-After": "9"}


@pytest.mark.parametrize("wait", [0.0, 0.2])
def test_rate_limited_waits_at_least_a_second(wait: float) -> None:
    error = final(Failures(statuses=[429], retry_afters=[wait]))
    assert isinstance(error, RateLimited)
    assert error.headers() == {"Retry-After": "1"}


@pytest.mark.parametrize(
    "failures",
    [
        Failures(statuses=[429, 500], retry_afters=[3.0]),
        Failures(statuses=[429, 503]),
        Failures(statuses=[429], timeouts=1),
        Failures(statuses=[500, 502, 503]),
        Failures(statuses=[401], unreachable=2),
        Failures(statuses=[529], timeouts=1, unreachable=1),
    ],
)
def test_any_status_that_is_not_all_429_gives_502(failures: Failures) -> None:
    error = final(failures)
    assert isinstance(error, UpstreamFailed)
    assert error.status == 502
    assert error.headers() == {}


@pytest.mark.parametrize("timeouts", [1, 3])
def test_only_timeouts_give_504(timeouts: int) -> None:
    error = final(Failures(timeouts=timeouts))
    assert isinstance(error, UpstreamTimeout)
    assert error.status == 504
    assert f"tried {timeouts} channel(s)" in error.message


@pytest.mark.parametrize(
    "failures", [Failures(unreachable=1), Failures(unreachable=2, timeouts=1), Failures()]
)
def test_unreachable_gives_503(failures: Failures) -> None:
    error = final(failures)
    assert isinstance(error, UpstreamUnavailable)
    assert error.status == 503


def test_message_summarises_what_was_tried() -> None:
    error = final(Failures(statuses=[500, 429], timeouts=1, unreachable=1))
    assert "tried 4 channel(s): HTTP 500, HTTP 429, timeout, unreachable" in error.message  # type: ignore[attr-defined]


def test_client_fault_passes_the_upstream_reason_on() -> None:
    body = orjson.dumps(
        {
            "error": {
                "message": "Unsupported parameter: 'foo'",
                "type": "invalid_request_error",
                "code": "unsupported_parameter",
                "param": "foo",
            }
        }
    )
    error = client_fault(400, body)
    assert isinstance(error, InvalidRequest)
    assert error.status == 400
    assert error.openai_body() == {
        "error": {
            "message": "Unsupported parameter: 'foo'",
            "type": "invalid_request_error",
            "code": "unsupported_parameter",
            "param": "foo",
        }
    }


def test_client_fault_keeps_context_length_exceeded() -> None:
    body = b'{"error": {"message": "too long", "code": "context_length_exceeded", "param": null}}'
    error = client_fault(400, body)
    assert (error.message, error.code, error.param) == ("too long", "context_length_exceeded", None)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{}",
        b"[]",
        b"null",
        b'{"error": "bad"}',
        b'{"error": {"message": 5, "code": 400, "param": ["x"]}}',
    ],
)
def test_client_fault_without_a_usable_body(body: bytes) -> None:
    error = client_fault(422, body)
    assert error.status == 400
    assert error.message == "The upstream rejected the request (HTTP 422)."
    assert error.code is None
    assert error.param is None


def test_client_fault_non_json_body_is_passed_on_truncated() -> None:
    error = client_fault(400, b"  <html>" + b"x" * 5000 + b"</html>\n")
    assert error.message == ("<html>" + "x" * 5000)[:500]
    assert error.code is None


def test_client_fault_short_text_body() -> None:
    assert client_fault(400, b"bad request\n").message == "bad request"
    assert client_fault(400, b"\xff\xfe oops").message == "\ufffd\ufffd oops"


def test_client_fault_413_is_request_too_large() -> None:
    error = client_fault(413, b"")
    assert error.status == 400  # not retried by Codex, unlike an unknown 413
    assert error.code == "request_too_large"
    assert client_fault(413, b'{"error": {"message": "m", "code": "own"}}').code == "own"


# -- open_first with scripted providers ---------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    closed: bool = False

    async def read_chunk(self) -> bytes:
        chunk, self.body = self.body, b""
        return chunk

    async def read_all(self, limit: int) -> bytes:
        return (await self.read_chunk())[:limit]

    def close(self) -> None:
        self.closed = True


@dataclass
class Scripted:
    """Answers each channel (by id) with its scripted reply or exception."""

    script: dict[int, Reply | BaseException]
    kind: str = "fake"
    wire: str = "responses"
    opened: list[int] = field(default_factory=list)

    async def open(self, call: UpstreamCall) -> UpstreamReply:
        self.opened.append(call.channel.id)
        outcome = self.script[call.channel.id]
        if isinstance(outcome, BaseException):
            raise outcome
        if outcome.status == -1:
            await asyncio.sleep(10)
        return outcome

    async def close(self) -> None:
        pass


def chan(id: int) -> Channel:
    return Channel(id=id, name=f"c{id}", kind="fake", base_url="http://u.invalid", models=("m",))


async def run(script: dict[int, Reply | BaseException], health: ChannelHealth | None = None):  # type: ignore[no-untyped-def]
    provider = Scripted(script)
    health = health or ChannelHealth(10.0)
    channels = [chan(i) for i in script]
    opened, failures = await open_first(
        channels,
        {"fake": provider},
        lambda c: UpstreamCall(channel=c, operation="responses", body=b"{}", stream=True),
        health,
        first_byte_timeout=0.05,
        clock=lambda: 1000.0,
    )
    return opened, failures, provider, health


async def test_open_first_fails_over_to_the_first_good_channel() -> None:
    script: dict[int, Reply | BaseException] = {
        1: Reply(429, {"Retry-After": "30"}),
        2: UpstreamConnectError("refused"),
        3: Reply(-1),  # never answers
        4: Reply(200, body=b"data: first\n\n"),
        5: Reply(200),
    }
    opened, failures, provider, health = await run(script)
    assert opened is not None
    assert opened.channel.id == 4
    assert opened.first_chunk == b"data: first\n\n"
    assert provider.opened == [1, 2, 3, 4]
    assert failures == Failures(statuses=[429], timeouts=1, unreachable=1, retry_afters=[30.0])
    assert health.cooling_until == {1: 1030.0, 2: 1010.0, 3: 1010.0}
    assert script[1].closed  # type: ignore[union-attr]


async def test_open_first_stops_at_a_client_fault() -> None:
    script: dict[int, Reply | BaseException] = {
        1: Reply(400, body=b'{"error": {"message": "bad", "param": "input"}}'),
        2: Reply(200),
    }
    with pytest.raises(InvalidRequest) as caught:
        await run(script)
    assert (caught.value.message, caught.value.param) == ("bad", "input")


async def test_open_first_all_rate_limited_reports_the_shortest_wait() -> None:
    script: dict[int, Reply | BaseException] = {
        1: Reply(429, {"retry-after": "20"}),
        2: Reply(429, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
        3: Reply(429, {"Retry-After": "6"}),
    }
    opened, failures, _, _ = await run(script)
    assert opened is None
    error = final(failures)
    assert isinstance(error, RateLimited)
    assert error.headers() == {"Retry-After": "6"}


async def test_open_first_survives_an_infinite_retry_after() -> None:
    script: dict[int, Reply | BaseException] = {1: Reply(429, {"Retry-After": "1e999"})}
    _, failures, _, health = await run(script)
    assert all(math.isfinite(v) for v in health.cooling_until.values())
    error = final(failures)
    assert isinstance(error, RateLimited)
