"""Pipes: how the bytes of an upstream's stream become the bytes of the client's (pure).

The relay reads upstream chunks and feeds them to a pipe; the pipe answers with the bytes to
send now and, once the stream's terminal event has arrived, the final bytes (held back so the
request log is durable before they leave) and the outcome: usage and error, for billing.

- `ResponsesPassPipe`: Responses in and out, the hot path: whole events pass as they came and
  only the terminal event is parsed.
- `WatchedPassPipe`: Chat or Messages in and out: the bytes pass as they came while a decoder
  reads every event for usage and the end.
- `TranslatedPipe`: different protocols: upstream events → hub events → the client's events.
- `CompactionPipe`: Codex's remote compaction, emulated for upstreams without it: the
  model's summary becomes one sealed `compaction` item.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from fourk.billing.usage import Usage
from fourk.protocols.hub.builder import ResponsesBuilder
from fourk.protocols.responses.stream import (
    TERMINAL_TYPES,
    ResponsesWatch,
    decode_terminal,
    encode_failed,
)
from fourk.protocols.sse import SSEDecoder, SSEFramer, parse_event, split_blocks
from fourk.protocols.wires import Ids, StreamDecoder, StreamEncoder

Step = tuple[bytes, bytes | None]
"""(bytes to send now, the final bytes once the stream has ended, else None)."""

_NOTHING: Step = (b"", None)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How the stream ended: usage for billing, the error for the log."""

    usage: Usage | None
    error_code: str | None = None
    error_message: str | None = None


class Pipe(Protocol):
    outcome: Outcome | None

    def feed(self, chunk: bytes) -> Step: ...

    def flush(self) -> Step:
        """At the upstream's end of body: whatever can still be sent."""
        ...

    def failure(self, code: str, message: str) -> bytes:
        """Bytes that end the client's stream with an error (the upstream broke off)."""
        ...


class ResponsesPassPipe:
    __slots__ = ("_framer", "_watch", "model", "outcome")

    def __init__(self, model: str) -> None:
        self._framer = SSEFramer()
        self._watch = ResponsesWatch()
        self.model = model
        self.outcome: Outcome | None = None

    def feed(self, chunk: bytes) -> Step:
        region = self._framer.feed_region(chunk)
        if not region:
            return _NOTHING
        found = self._watch.find_terminal(region)
        if found is None:
            return region, None
        start, end = found
        terminal = self._watch.terminal
        assert terminal is not None
        self.outcome = Outcome(terminal.usage, terminal.error_code, terminal.error_message)
        return region[:start], region[start:end]

    def flush(self) -> Step:
        # an upstream may end its last event without the blank line
        tail = self._framer.flush().rstrip(b"\n")
        return self.feed(tail + b"\n\n") if tail else _NOTHING

    def failure(self, code: str, message: str) -> bytes:
        return encode_failed(self._watch.response_id, code, message, self.model)


class WatchedPassPipe:
    """Same protocol both sides (Chat or Messages): pass the bytes, watch the events."""

    __slots__ = ("_decoder", "_drop_usage_chunks", "_framer", "_writer", "outcome")

    def __init__(
        self, decoder: StreamDecoder, writer: StreamEncoder, *, drop_usage_chunks: bool = False
    ) -> None:
        self._framer = SSEFramer()
        self._decoder = decoder
        self._writer = writer  # only to write a failure in the client's protocol
        self._drop_usage_chunks = drop_usage_chunks
        self.outcome: Outcome | None = None

    def feed(self, chunk: bytes) -> Step:
        region = self._framer.feed_region(chunk)
        return self._blocks(split_blocks(region)) if region else _NOTHING

    def flush(self) -> Step:
        tail = self._framer.flush().rstrip(b"\n")
        sent, final = self._blocks([tail + b"\n\n"]) if tail else _NOTHING
        if final is None and not self._decoder.done:
            self._decoder.finish()
            if self._decoder.done:
                self.outcome = _outcome(self._decoder)
                return sent, self._writer.closing()
        return sent, final

    def _blocks(self, blocks: list[bytes]) -> Step:
        out: list[bytes] = []
        for block in blocks:
            event = parse_event(block)
            if event is None:
                out.append(block)
                continue
            self._decoder.feed(event)
            if self._decoder.done:
                self.outcome = _outcome(self._decoder)
                return b"".join(out), block
            if not (self._drop_usage_chunks and _usage_only(event.data)):
                out.append(block)
        return b"".join(out), None

    def failure(self, code: str, message: str) -> bytes:
        return _failure_bytes(self._writer, code, message)


class TranslatedPipe:
    __slots__ = ("_decoder", "_ids", "_sse", "_writer", "outcome")

    def __init__(self, decoder: StreamDecoder, writer: StreamEncoder, ids: Ids) -> None:
        self._sse = SSEDecoder()
        self._decoder = decoder
        self._writer = writer
        self._ids = ids
        self.outcome: Outcome | None = None

    def feed(self, chunk: bytes) -> Step:
        return self._hub([e for ev in self._sse.feed(chunk) for e in self._decoder.feed(ev)])

    def flush(self) -> Step:
        events = [e for ev in self._sse.flush() for e in self._decoder.feed(ev)]
        if not self._decoder.done:
            events += self._decoder.finish()
        return self._hub(events)

    def _hub(self, events: list[dict[str, Any]]) -> Step:
        if not events or self.outcome is not None:
            return _NOTHING
        out: list[bytes] = []
        for event in events:
            data = self._writer.encode(event)
            if event.get("type") in TERMINAL_TYPES:
                self.outcome = _outcome(self._decoder)
                return b"".join(out), data + self._writer.closing()
            out.append(data)
        return b"".join(out), None

    def failure(self, code: str, message: str) -> bytes:
        return _failure_bytes(self._writer, code, message, self._ids)


class CompactionPipe:
    """Reads the model's summary and answers Codex with exactly one `compaction` item whose
    `encrypted_content` is the summary sealed by `seal` (the relay binds it to the user)."""

    __slots__ = ("_decoder", "_ids", "_seal", "_sse", "_text", "_writer", "outcome")

    def __init__(
        self, decoder: StreamDecoder, writer: StreamEncoder, ids: Ids, seal: Callable[[str], str]
    ) -> None:
        self._sse = SSEDecoder()
        self._decoder = decoder
        self._writer = writer
        self._ids = ids
        self._seal = seal
        self._text: list[str] = []
        self.outcome: Outcome | None = None

    def feed(self, chunk: bytes) -> Step:
        return self._read([e for ev in self._sse.feed(chunk) for e in self._decoder.feed(ev)])

    def flush(self) -> Step:
        events = [e for ev in self._sse.flush() for e in self._decoder.feed(ev)]
        if not self._decoder.done:
            events += self._decoder.finish()
        return self._read(events)

    def _read(self, events: list[dict[str, Any]]) -> Step:
        if self.outcome is not None:
            return _NOTHING
        for event in events:
            if event.get("type") == "response.output_text.delta":
                self._text.append(str(event.get("delta", "")))
            elif event.get("type") in TERMINAL_TYPES:
                return self._answer(event)
        return _NOTHING

    def _answer(self, terminal: dict[str, Any]) -> Step:
        usage = self._decoder.usage
        if terminal["type"] == "response.failed":
            self.outcome = _outcome(self._decoder)
            return b"", self._writer.encode(terminal) + self._writer.closing()
        summary = "".join(self._text).strip()
        events = compaction_events(self._ids, self._seal(summary), usage)
        self.outcome = Outcome(usage)
        body = b"".join(self._writer.encode(event) for event in events[:-1])
        return body, self._writer.encode(events[-1]) + self._writer.closing()

    def failure(self, code: str, message: str) -> bytes:
        return _failure_bytes(self._writer, code, message, self._ids)


def compaction_events(ids: Ids, sealed: str, usage: Usage | None) -> list[dict[str, Any]]:
    """The Responses events of a compaction answer: one `compaction` item, then completed."""
    builder = ResponsesBuilder(ids.response_id, ids.model, ids.created_at)
    events = builder.start()
    item = {
        "type": "compaction",
        "id": "cmp_" + ids.response_id.removeprefix("resp_"),
        "encrypted_content": sealed,
    }
    events.append({"type": "response.output_item.added", "output_index": 0, "item": item})
    events.append({"type": "response.output_item.done", "output_index": 0, "item": item})
    final = builder.complete(usage)[-1]
    final["response"]["output"] = [item]
    events.append(final)
    return events


def failed_event(ids: Ids, code: str, message: str) -> dict[str, Any]:
    builder = ResponsesBuilder(ids.response_id, ids.model, ids.created_at)
    builder.start()
    return builder.fail(code, message)[-1]


def _failure_bytes(writer: StreamEncoder, code: str, message: str, ids: Ids | None = None) -> bytes:
    event = failed_event(ids or Ids("resp_failed", "", 0), code, message)
    return writer.encode(event) + writer.closing()


def _outcome(decoder: StreamDecoder) -> Outcome:
    terminal = decoder.terminal
    if terminal is None:
        return Outcome(decoder.usage)
    response = terminal.get("response")
    ended = decode_terminal(
        str(terminal.get("type")), response if isinstance(response, dict) else {}
    )
    return Outcome(decoder.usage, ended.error_code, ended.error_message)


def _usage_only(data: str) -> bool:
    """A Chat usage chunk (`choices: []`), which a client that did not ask for usage must
    not get (fourk asks upstream for usage to bill it)."""
    return '"usage"' in data and '"choices":[]' in data.replace(" ", "")
