"""Token counts fourk has to guess (pure): before a request (to reserve money) and after a
stream that ended without usage (to bill what was actually sent)."""

from __future__ import annotations

BYTES_PER_TOKEN = 4  # English and code average about 4 characters per token
EVENT_OVERHEAD = 120  # bytes of SSE and JSON around each streamed delta


def input_tokens_from_body(body_size: int) -> int:
    """An upper-side guess from the request's JSON size (the JSON around the text only
    makes it larger, so the guess errs towards reserving too much)."""
    return body_size // BYTES_PER_TOKEN + 1


def output_tokens_from_stream(streamed_bytes: int, events: int) -> int:
    """What a stream that broke off had produced: the bytes of its events, less their
    framing, at the usual bytes per token (text, function-call arguments and reasoning
    all count)."""
    payload = max(0, streamed_bytes - events * EVENT_OVERHEAD)
    return payload // BYTES_PER_TOKEN
