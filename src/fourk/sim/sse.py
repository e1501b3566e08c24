"""Server-sent event framing for the simulator's streams (pure).

The simulator is the far side of the wire from fourk's own protocol code, so it frames
its events itself rather than sharing `fourk.protocols`: a bug on either side then shows.
"""

from __future__ import annotations

import orjson

DONE = b"data: [DONE]\n\n"
"""The Chat Completions end-of-stream marker."""


def encode_event(payload: object, event: str | None = None) -> bytes:
    """One event: an optional `event:` line and one `data:` line of compact JSON."""
    data = orjson.dumps(payload)
    if event is None:
        return b"data: " + data + b"\n\n"
    return b"event: " + event.encode() + b"\ndata: " + data + b"\n\n"


def encode_typed_event(payload: dict[str, object]) -> bytes:
    """An event whose `event:` line repeats the payload's `type` (Responses, Anthropic)."""
    kind = payload.get("type")
    return encode_event(payload, kind if isinstance(kind, str) else None)
