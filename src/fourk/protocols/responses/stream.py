"""Watching a Responses event stream that is passed through, and the events fourk writes.

The watcher sees whole SSE blocks and only parses the few that can end a stream, so a
pass-through costs a substring search per block rather than a JSON decode per event.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from fourk.billing.usage import Usage
from fourk.protocols.sse import encode_typed_event, parse_event, split_blocks

TERMINAL_TYPES = ("response.completed", "response.failed", "response.incomplete")
_COMPLETED = b"response.completed"
_FAILED = b"response.failed"
_INCOMPLETE = b"response.incomplete"
_CREATED = b"response.created"


@dataclass(slots=True)
class Terminal:
    """The event that ended the stream, as the upstream sent it."""

    kind: str  # one of TERMINAL_TYPES
    usage: Usage | None
    error_code: str | None = None
    error_message: str | None = None


@dataclass(slots=True)
class ResponsesWatch:
    """State of one watched stream: the response id (for events we add) and its end."""

    response_id: str | None = None
    terminal: Terminal | None = None
    events: int = 0
    _parsed: dict[str, Any] = field(default_factory=dict)

    def may_end(self, region: bytes) -> bool:
        """One cheap look at a run of whole events: False when none of them can end the
        stream (the common case, forwarded as is), True when `is_terminal` must look at
        each. Also picks up the response id from `response.created` on the way."""
        if self.response_id is None and _CREATED in region:
            for block in split_blocks(region):
                if _CREATED in block:
                    self._note_created(block)
                    break
        return _COMPLETED in region or _FAILED in region or _INCOMPLETE in region

    def is_terminal(self, block: bytes) -> bool:
        """Look at one whole event block; True when it ends the stream."""
        self.events += 1
        if self.response_id is None and _CREATED in block:
            self._note_created(block)
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
            self.response_id = response["id"]
        self.terminal = decode_terminal(str(kind), response)
        return True

    def _note_created(self, block: bytes) -> None:
        payload = _payload(block)
        if payload and payload.get("type") == "response.created":
            response = payload.get("response")
            if isinstance(response, dict) and isinstance(response.get("id"), str):
                self.response_id = response["id"]


def _payload(block: bytes) -> dict[str, Any] | None:
    event = parse_event(block)
    if event is None:
        return None
    try:
        payload = orjson.loads(event.data)
    except orjson.JSONDecodeError:
        return None
    return payload if isinstance(payload, dict) else None


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
    """OpenAI Responses usage → Usage; None when absent or unusable."""
    if not isinstance(raw, dict):
        return None
    input_details = raw.get("input_tokens_details")
    output_details = raw.get("output_tokens_details")
    return Usage(
        input_tokens=_int(raw.get("input_tokens")),
        cached_tokens=_int(input_details.get("cached_tokens"))
        if isinstance(input_details, dict)
        else 0,
        output_tokens=_int(raw.get("output_tokens")),
        reasoning_tokens=_int(output_details.get("reasoning_tokens"))
        if isinstance(output_details, dict)
        else 0,
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
