"""Anthropic Messages answers → Responses events (pure, explicit stream state).

`MessagesStreamDecoder` reads an Anthropic event stream one SSE event at a time and drives a
`ResponsesBuilder`, so Codex gets the Responses events it expects:

- `thinking` blocks become `reasoning` items: the thinking text streams as the reasoning
  summary, and the item's `encrypted_content` carries the thinking text and its signature
  (`redacted_thinking` blocks: their data) in a blob of our own, `fourk.anthropic.v1:` +
  base64url(JSON). Codex sends the item back in later requests and the request encoder
  turns it into the same block again (Anthropic needs it to continue a tool-use loop).
- `text` blocks become assistant messages; `tool_use` blocks become `function_call` /
  `custom_tool_call` items (names mapped back through the request's `ToolSet`).
- `stop_reason`: `end_turn`, `stop_sequence`, `tool_use`, `pause_turn` → completed;
  `max_tokens` → incomplete (`max_output_tokens`); `refusal` → completed with whatever text
  came before it (Anthropic stops without an error; Codex shows the text);
  `model_context_window_exceeded` → failed with `context_length_exceeded`.
- Usage is normalised: input = input + cache read + cache creation tokens, cached = cache
  read, cache writes kept apart. Reasoning tokens come from `output_tokens_details.
  thinking_tokens` when Anthropic reports it, else 0 (no estimate: Claude 4 returns a
  summary of its thinking, so its length says little about the tokens billed).
- `error` events map to the codes Codex understands (see `decode_messages_error`).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from fourk.billing.usage import Usage
from fourk.protocols.hub.builder import Event, ResponsesBuilder
from fourk.protocols.hub.tools import ToolSet
from fourk.protocols.sse import SSEEvent

BLOB_PREFIX = "fourk.anthropic.v1:"
RATE_LIMIT_RETRY_SECONDS = 10  # said when Anthropic gives no Retry-After
_CONTEXT = re.compile(
    r"prompt is too long|exceed context limit|context window|too many tokens", re.I
)
_TRY_AGAIN = re.compile(r"try again in", re.I)
_STATUS_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}


# -- the reasoning blob --------------------------------------------------------------------


def encode_thinking_blob(block: dict[str, Any]) -> str:
    """A `thinking` or `redacted_thinking` block as a reasoning item's `encrypted_content`."""
    if block.get("type") == "redacted_thinking":
        payload: dict[str, Any] = {"redacted": str(block.get("data") or "")}
    else:
        payload = {
            "thinking": str(block.get("thinking") or ""),
            "signature": str(block.get("signature") or ""),
        }
    return BLOB_PREFIX + base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def decode_thinking_blob(value: object) -> dict[str, Any] | None:
    """The Anthropic block behind an `encrypted_content` we wrote; None for anything else
    (an OpenAI blob, a blob from another fourk translator, a damaged one)."""
    if not isinstance(value, str) or not value.startswith(BLOB_PREFIX):
        return None
    text = value[len(BLOB_PREFIX) :]
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(payload, dict):
        return None
    if isinstance(payload.get("redacted"), str):
        return {"type": "redacted_thinking", "data": payload["redacted"]}
    thinking, signature = payload.get("thinking"), payload.get("signature")
    if isinstance(thinking, str) and isinstance(signature, str) and signature:
        return {"type": "thinking", "thinking": thinking, "signature": signature}
    return None


# -- errors --------------------------------------------------------------------------------


def decode_messages_error(
    status: int, body: bytes, *, retry_after: int | None = None
) -> tuple[str, str]:
    """An Anthropic HTTP error → (code for Codex, message). `retry_after` (the response's
    Retry-After, if any) goes into a rate-limit message so Codex waits that long.
    An `invalid_request_error` keeps that code (a client error, not worth retrying)."""
    kind, message = _STATUS_TYPES.get(status, "api_error"), ""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        parsed = None
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(error, dict):
        kind = str(error.get("type") or kind)
        message = str(error.get("message") or "")
    elif body.strip():
        message = body.decode("utf-8", errors="replace").strip()[:300]
    message = message or f"The Anthropic upstream answered HTTP {status}."
    code = _error_code(kind, message)
    if code is None:
        invalid = kind in ("invalid_request_error", "request_too_large")
        code = "invalid_request_error" if invalid else "server_error"
    return code, _with_retry(code, message, retry_after)


def _error_code(kind: str, message: str) -> str | None:
    """The Codex code for an Anthropic error type, or None when Codex has no special one."""
    if kind == "overloaded_error":
        return "server_is_overloaded"
    if kind == "rate_limit_error":
        return "rate_limit_exceeded"
    if kind in ("invalid_request_error", "request_too_large") and _CONTEXT.search(message):
        return "context_length_exceeded"
    return None


def _with_retry(code: str, message: str, retry_after: int | None) -> str:
    if code != "rate_limit_exceeded" or _TRY_AGAIN.search(message):
        return message
    seconds = retry_after if retry_after and retry_after > 0 else RATE_LIMIT_RETRY_SECONDS
    return f"{message.rstrip('. ')}. Please try again in {seconds}s."


# -- the stream ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Block:
    kind: str
    text: list[str] = field(default_factory=list)  # thinking text
    signature: str = ""
    data: str = ""  # redacted thinking
    start_input: object = None  # a tool_use's input as its start carried it
    streamed: bool = False  # a tool_use got input_json_delta pieces


@dataclass(slots=True)
class _Counts:
    input: int = 0
    cache_read: int = 0
    cache_write: int = 0
    output: int = 0
    thinking: int = 0

    def update(self, usage: object) -> None:
        if not isinstance(usage, dict):
            return
        self.input = _count(usage, "input_tokens", self.input)
        self.cache_read = _count(usage, "cache_read_input_tokens", self.cache_read)
        self.cache_write = _count(usage, "cache_creation_input_tokens", self.cache_write)
        self.output = _count(usage, "output_tokens", self.output)
        details = usage.get("output_tokens_details")
        if isinstance(details, dict):
            self.thinking = _count(details, "thinking_tokens", self.thinking)

    def normal(self) -> Usage:
        return Usage(
            input_tokens=self.input + self.cache_read + self.cache_write,
            cached_tokens=self.cache_read,
            output_tokens=self.output,
            reasoning_tokens=min(self.thinking, self.output),
            cache_write_tokens=self.cache_write,
        )


def _count(usage: dict[str, Any], name: str, default: int) -> int:
    value = usage.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


class MessagesStreamDecoder:
    """One Anthropic event stream → the Responses events for Codex."""

    __slots__ = ("_blocks", "_builder", "_counts", "_started", "_stop_reason")

    def __init__(self, *, response_id: str, model: str, created_at: int, tools: ToolSet) -> None:
        self._builder = ResponsesBuilder(response_id, model, created_at, tools)
        self._blocks: dict[int, _Block] = {}
        self._counts = _Counts()
        self._started = False  # message_start seen: usage is known
        self._stop_reason: str | None = None

    @property
    def done(self) -> bool:
        return self._builder.done

    @property
    def usage(self) -> Usage | None:
        return self._builder.usage if self.done else self._usage()

    @property
    def terminal(self) -> Event | None:
        return self._builder.terminal

    def feed(self, event: SSEEvent) -> list[Event]:
        """The Responses events for one Anthropic SSE event (none once the stream ended)."""
        if self.done:
            return []
        try:
            data = event.json()
        except ValueError:
            return []
        if not isinstance(data, dict):
            return []
        return self.feed_data(data, str(data.get("type") or event.event or ""))

    def feed_data(self, data: dict[str, Any], kind: str) -> list[Event]:
        if self.done:
            return []
        if kind == "message_start":
            return self._message_start(data.get("message"))
        if kind == "content_block_start":
            return self._block_start(data.get("index"), data.get("content_block"))
        if kind == "content_block_delta":
            return self._block_delta(data.get("index"), data.get("delta"))
        if kind == "content_block_stop":
            return self._block_stop(data.get("index"))
        if kind == "message_delta":
            delta = data.get("delta")
            if isinstance(delta, dict) and isinstance(delta.get("stop_reason"), str):
                self._stop_reason = delta["stop_reason"]
            self._counts.update(data.get("usage"))
            return []
        if kind == "message_stop":
            return self._complete()
        if kind == "error":
            return self._error(data.get("error"))
        return []  # ping and event types added later

    def finish(self) -> list[Event]:
        """At EOF: complete if Anthropic already said why it stopped; otherwise nothing, and
        `done` stays False so the relay reports the cut."""
        if self.done or self._stop_reason is None:
            return []
        return self._complete()

    # -- events ----------------------------------------------------------------------------

    def _message_start(self, message: object) -> list[Event]:
        self._started = True
        if isinstance(message, dict):
            self._counts.update(message.get("usage"))
        return self._builder.start()

    def _block_start(self, index: object, block: object) -> list[Event]:
        if not isinstance(index, int) or not isinstance(block, dict):
            return []
        kind = str(block.get("type"))
        entry = self._blocks[index] = _Block(kind)
        if kind == "text":
            return self._builder.text(str(block.get("text") or ""))
        if kind == "thinking":
            entry.signature = str(block.get("signature") or "")
            return self._thinking(entry, str(block.get("thinking") or ""))
        if kind == "redacted_thinking":
            entry.data = str(block.get("data") or "")
            return []
        if kind == "tool_use":
            entry.start_input = block.get("input")
            name = str(block.get("name") or "")
            return self._builder.tool_call(index, str(block.get("id") or ""), name)
        return []  # server tools, citations: nothing Codex can use

    def _thinking(self, entry: _Block, text: str) -> list[Event]:
        entry.text.append(text)
        return self._builder.reasoning(text)

    def _block_delta(self, index: object, delta: object) -> list[Event]:
        if not isinstance(index, int) or not isinstance(delta, dict):
            return []
        entry = self._blocks.get(index)
        if entry is None:
            return []
        kind = delta.get("type")
        if kind == "text_delta" and entry.kind == "text":
            return self._builder.text(str(delta.get("text") or ""))
        if kind == "thinking_delta" and entry.kind == "thinking":
            return self._thinking(entry, str(delta.get("thinking") or ""))
        if kind == "signature_delta" and entry.kind == "thinking":
            entry.signature += str(delta.get("signature") or "")
        elif kind == "input_json_delta" and entry.kind == "tool_use":
            entry.streamed = True
            return self._builder.tool_arguments(index, str(delta.get("partial_json") or ""))
        return []

    def _block_stop(self, index: object) -> list[Event]:
        entry = self._blocks.pop(index, None) if isinstance(index, int) else None
        if entry is None:
            return []
        if entry.kind == "text":
            return self._builder.end_block()
        if entry.kind in ("thinking", "redacted_thinking"):
            block = {
                "type": entry.kind,
                "thinking": "".join(entry.text),
                "signature": entry.signature,
                "data": entry.data,
            }
            return self._builder.reasoning_blob(encode_thinking_blob(block)) + (
                self._builder.end_block()
            )
        if entry.kind == "tool_use":
            assert isinstance(index, int)
            events: list[Event] = []
            if not entry.streamed and isinstance(entry.start_input, dict) and entry.start_input:
                events += self._builder.tool_arguments(
                    index, orjson.dumps(entry.start_input).decode()
                )
            return events + self._builder.end_tool_call(index)
        return []

    def _complete(self) -> list[Event]:
        usage = self._usage()
        if self._stop_reason == "max_tokens":
            return self._builder.complete(usage, incomplete="max_output_tokens")
        if self._stop_reason == "model_context_window_exceeded":
            message = "The conversation no longer fits in the model's context window."
            return self._builder.fail("context_length_exceeded", message, usage)
        return self._builder.complete(usage)

    def _error(self, error: object) -> list[Event]:
        kind, message = "api_error", ""
        if isinstance(error, dict):
            kind = str(error.get("type") or kind)
            message = str(error.get("message") or "")
        message = message or f"The Anthropic upstream reported {kind}."
        code = _error_code(kind, message) or "server_error"
        return self._builder.fail(code, _with_retry(code, message, None), self._usage())

    def _usage(self) -> Usage | None:
        return self._counts.normal() if self._started else None


def decode_message(
    obj: dict[str, Any], *, response_id: str, model: str, created_at: int, tools: ToolSet
) -> dict[str, Any]:
    """A whole (non-streamed) Anthropic `message` → the Responses response object, built by
    feeding its blocks through the same decoder as a stream (an `error` body gives a failed
    response)."""
    decoder = MessagesStreamDecoder(
        response_id=response_id, model=model, created_at=created_at, tools=tools
    )
    if obj.get("type") == "error":
        decoder.feed_data(obj, "error")
    else:
        decoder.feed_data({"message": {"usage": obj.get("usage")}}, "message_start")
        blocks = obj.get("content")
        for index, block in enumerate(blocks if isinstance(blocks, list) else []):
            decoder.feed_data({"index": index, "content_block": block}, "content_block_start")
            decoder.feed_data({"index": index}, "content_block_stop")
        stop = {"stop_reason": obj.get("stop_reason") or "end_turn"}
        decoder.feed_data({"delta": stop, "usage": obj.get("usage")}, "message_delta")
        decoder.feed_data({}, "message_stop")
    terminal = decoder.terminal
    assert terminal is not None
    response: dict[str, Any] = terminal["response"]
    return response
