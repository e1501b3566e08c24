"""The provider interface: open one upstream call, then read its body chunk by chunk."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from fourk.routing.channel import Channel


class UpstreamConnectError(Exception):
    """The upstream could not be reached (DNS, refused, TLS, reset before an answer)."""


@dataclass(frozen=True, slots=True)
class UpstreamCall:
    channel: Channel
    operation: str  # the protocol of `body`: "responses", "chat" or "messages"
    body: bytes
    stream: bool
    headers: Mapping[str, str] = field(default_factory=dict)  # the client's, case-insensitive


class UpstreamReply(Protocol):
    """An answer whose status and headers have arrived; the body is read incrementally."""

    status: int
    headers: Mapping[str, str]

    async def read_chunk(self) -> bytes:
        """The next bytes of the body as they arrive; b"" at the end."""
        ...

    async def read_all(self, limit: int) -> bytes:
        """The whole body, at most `limit` bytes (the rest is dropped)."""
        ...

    def close(self) -> None:
        """Release the connection; abort the transfer if the body was not read to the end."""
        ...


class Provider(Protocol):
    kind: str
    wire: str  # the protocol it speaks: "responses", "chat" or "messages"

    async def open(self, call: UpstreamCall) -> UpstreamReply: ...

    async def close(self) -> None: ...


async def read_up_to(read_chunk: Callable[[], Awaitable[bytes]], limit: int) -> bytes:
    """A whole body from a chunk reader, at most `limit` bytes (the rest is dropped)."""
    parts: list[bytes] = []
    size = 0
    while size < limit:
        chunk = await read_chunk()
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)[:limit]
