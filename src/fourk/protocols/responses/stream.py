"""Watching a Responses event stream that is passed through, and the events fourk writes.

The watcher sees runs of whole SSE blocks and only cuts out and parses the few that can end a
stream, so a pass-through costs a few substring searches per run rather than a split and a
JSON decode per event.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson

from fourk.billing.usage import Usage
from fourk.protocols.sse import encode_typed_event, parse_event

TERMINAL_TYPES = ("response.completed", "response.failed", "response.incomplete")
_COMPLETED = b"response.completed"
_FAILED = b"response.failed"
_INCOMPLETE = b"response.incomplete"
_CREATED = b"response.created"
_BOUNDARY = b"\n\n"


@dataclass(slots=True)
class Terminal:
    """The event that ended the stream, as the upstream sent it."""

    kind: str  # one of TERMINAL_TYPES
    usage: Usage | None
    error_code: str | None = None
    error_message: str | None = None


@dataclass(slots=True)
class ResponsesWatch:
    """State of one watched stream: the response id (for events we add) and its end.

    The `response.created` block is only kept, not parsed: its id is needed only when fourk
    has to write an event of its own (a stream that broke off), which is rare."""

    terminal: Terminal | None = None
    _id: str | None = None
    _created: bytes | None = None  # the created event's block, read when the id is asked for

    @property
    def response_id(self) -> str | None:
        if self._id is None and self._created is not None:
            self._id = _created_id(self._created)
            self._created = None
        return self._id

    def find_terminal(self, region: bytes) -> tuple[int, int] | None:
        """Look at a run of whole events: the (start, end) of the event that ends the
        stream, or None (the common case: the run goes on as it is). Only the blocks that
        mention a terminal type are cut out and parsed; the rest of the run is never split.
        Keeps the `response.created` block for the response id too."""
        if self._created is None and self._id is None:
            at = region.find(_CREATED)
            if at >= 0:
                start, end = _block_at(region, at)
                self._created = region[start:end]
        search = 0
        while True:
            at = _first_marker(region, search)
            if at < 0:
                return None
            start, end = _block_at(region, at)
            if self.is_terminal(region[start:end]):
                return start, end
            search = end  # the name appeared inside other text: keep looking

    def is_terminal(self, block: bytes) -> bool:
        """Look at one whole event block; True when it ends the stream."""
        if self._created is None and self._id is None and _CREATED in block:
            self._created = block
        if not (
            _COMPLETED in block or _FAILED in block or _INCOMPLETE in block
        ):  # a substring test per block; JSON is parsed only for the last event
            return False
        payload = _payload(block)
        if payload is None:
            return False
        kind = payload.get("type")
        if kind not in TERMINAL_TYPES:
            return False
        response = payload.get("response")
        response = response if isinstance(response, dict) else {}
        if self.response_id is None and isinstance(response.get("id"), str):
            self._id = response["id"]
        self.terminal = decode_terminal(str(kind), response)
        return True


def _created_id(block: bytes) -> str | None:
    payload = _payload(block)
    if payload and payload.get("type") == "response.created":
        response = payload.get("response")
        if isinstance(response, dict) and isinstance(response.get("id"), str):
            return str(response["id"])
    return None


def _first_marker(region: bytes, start: int) -> int:
    """Where the first terminal event name appears from `start` on, or -1."""
    first = -1
    for marker in (_COMPLETED, _FAILED, _INCOMPLETE):
        at = region.find(marker, start)
        if at >= 0 and (first < 0 or at < first):
            first = at
    return first


def _block_at(region: bytes, at: int) -> tuple[int, int]:
    """The whole event block of `region` (events end with a blank line) holding offset `at`."""
    start = region.rfind(_BOUNDARY, 0, at)
    start = 0 if start < 0 else start + len(_BOUNDARY)
    end = region.find(_BOUNDARY, at)
    return start, len(region) if end < 0 else end + len(_BOUNDARY)


def _payload(block: bytes) -> dict[str, Any] | None:
    event = _single_data(block)
    if event is None:
        parsed = parse_event(block)
        if parsed is None:
            return None
        event = parsed.data.encode()
    try:
        payload = orjson.loads(event)
    except orjson.JSONDecodeError:
        return None
    return payload if isinstance(payload, dict) else None


def _single_data(block: bytes) -> bytes | None:
    """The data of a block with one `data: ` line (how every OpenAI event comes), without
    decoding the block to text; None for anything else (the full parser reads those)."""
    at = block.find(b"data: ")
    if at < 0 or (at > 0 and block[at - 1] != 0x0A) or block.find(b"\ndata:", at + 1) >= 0:
        return None
    end = block.find(b"\n", at)
    return block[at + 6 : end if end >= 0 else len(block)]


def decode_terminal(kind: str, response: dict[str, Any]) -> Terminal:
    usage = decode_usage(response.get("usage"))
    if kind == "response.failed":
        raw_error = response.get("error")
        error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
        return Terminal(
            kind, usage, _str(error.get("code")) or "response_failed", _str(error.get("message"))
        )
    if kind == "response.incomplete":
        details = response.get("incomplete_details")
        reason = details.get("reason") if isinstance(details, dict) else None
        return Terminal(kind, usage, "incomplete", _str(reason))
    return Terminal(kind, usage)


def decode_usage(raw: object) -> Usage | None:
    """Responses usage → Usage (cache writes too, which fourk's own translated answers and
    newer OpenAI answers report); None when absent or unusable."""
    if not isinstance(raw, dict):
        return None
    input_details = raw.get("input_tokens_details")
    inputs = input_details if isinstance(input_details, dict) else {}
    output_details = raw.get("output_tokens_details")
    outputs = output_details if isinstance(output_details, dict) else {}
    return Usage(
        input_tokens=_int(raw.get("input_tokens")),
        cached_tokens=_int(inputs.get("cached_tokens")),
        output_tokens=_int(raw.get("output_tokens")),
        reasoning_tokens=_int(outputs.get("reasoning_tokens")),
        cache_write_tokens=_int(inputs.get("cache_write_tokens")),
    )


def encode_failed(response_id: str | None, code: str, message: str, model: str) -> bytes:
    """A `response.failed` event: how a stream that already started reports an error to
    Codex (a top-level `error` event is ignored over HTTP)."""
    return encode_typed_event(
        {
            "type": "response.failed",
            "response": {
                "id": response_id or f"resp_{time.time_ns():x}",
                "object": "response",
                "status": "failed",
                "model": model,
                "output": [],
                "error": {"code": code, "message": message},
            },
        }
    )


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
