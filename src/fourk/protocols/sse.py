"""Server-sent events, decoded incrementally and encoded.

The framer cuts a byte stream into whole events (each ending with a blank line) so a relay
can forward complete events untouched; the parser reads one event's fields only when asked.
Line endings CRLF and lone CR are normalised to LF, as the SSE spec allows all three.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

_BOUNDARY = b"\n\n"


@dataclass(slots=True, frozen=True)
class SSEEvent:
    """One decoded event: its `event:` name (if any) and its joined `data:` lines."""

    event: str | None
    data: str

    def json(self) -> object:
        """The data parsed as JSON; raises ValueError when it is not JSON."""
        return orjson.loads(self.data)


class SSEFramer:
    """Cuts a byte stream into whole event blocks, each ending with b"\\n\\n"."""

    __slots__ = ("_buffer", "_pending_cr")

    def __init__(self) -> None:
        self._buffer = b""
        self._pending_cr = False

    def feed(self, chunk: bytes) -> list[bytes]:
        """Take the next chunk; return the events it completed (maybe none)."""
        return split_blocks(self.feed_region(chunk))

    def feed_region(self, chunk: bytes) -> bytes:
        """Take the next chunk; return the bytes of the events it completed, in one piece
        (b"" when none): what a pass-through forwards without splitting anything."""
        if not chunk:
            return b""
        if self._pending_cr or b"\r" in chunk:
            chunk = self._normalise(chunk)
        data = self._buffer + chunk if self._buffer else chunk
        end = data.rfind(_BOUNDARY)
        if end < 0:
            self._buffer = data
            return b""
        self._buffer = data[end + 2 :]
        return data[: end + 2]

    def flush(self) -> bytes:
        """Whatever is left over: bytes of an event that never got its blank line."""
        rest, self._buffer = self._buffer, b""
        self._pending_cr = False
        return rest

    @property
    def pending(self) -> int:
        """How many bytes wait for the end of their event."""
        return len(self._buffer)

    def _normalise(self, chunk: bytes) -> bytes:
        if self._pending_cr:
            # the previous chunk ended in CR, which we already turned into LF
            if chunk.startswith(b"\n"):
                chunk = chunk[1:]
            self._pending_cr = False
        if chunk.endswith(b"\r"):
            self._pending_cr = True
        return chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def split_blocks(region: bytes) -> list[bytes]:
    """Whole events, each ending with one blank line; extra blank lines carry no event and
    are dropped, so the result does not depend on how the stream was chunked."""
    if not region:
        return []
    parts = (part.lstrip(b"\n") for part in region.split(_BOUNDARY))
    return [part + _BOUNDARY for part in parts if part]


def parse_event(block: bytes) -> SSEEvent | None:
    """Read one event block's fields; None for a block of only comments or ids."""
    event: str | None = None
    data_lines: list[str] = []
    for raw_line in block.decode("utf-8", errors="replace").split("\n"):
        if not raw_line or raw_line.startswith(":"):
            continue
        name, sep, value = raw_line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            data_lines.append(value)
        elif name == "event":
            event = value
    if not data_lines:
        return None
    return SSEEvent(event=event, data="\n".join(data_lines))


class SSEDecoder:
    """Bytes in, events out, across any chunk split."""

    __slots__ = ("_framer",)

    def __init__(self) -> None:
        self._framer = SSEFramer()

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        events = []
        for block in self._framer.feed(chunk):
            event = parse_event(block)
            if event is not None:
                events.append(event)
        return events

    def flush(self) -> list[SSEEvent]:
        rest = self._framer.flush()
        if not rest.strip():
            return []
        event = parse_event(rest)
        return [event] if event is not None else []


def encode_event(payload: object, event: str | None = None) -> bytes:
    """One event: optional `event:` line, a single `data:` line of compact JSON."""
    data = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    if event is None:
        return b"data: " + data + _BOUNDARY
    return b"event: " + event.encode() + b"\ndata: " + data + _BOUNDARY


def encode_typed_event(payload: dict[str, object]) -> bytes:
    """An OpenAI-style event whose `event:` line repeats the payload's `type`."""
    kind = payload.get("type")
    return encode_event(payload, kind if isinstance(kind, str) else None)
