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
  read, cache writes kept apart (see `usage`).
- `error` events map to the codes Codex understands (see `errors`).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

import orjson

from fourk.billing.usage import Usage
from fourk.protocols.hub.builder import Event, ResponsesBuilder
from fourk.protocols.hub.tools import ToolSet
from fourk.protocols.messages.errors import RATE_LIMIT_RETRY_SECONDS as RATE_LIMIT_RETRY_SECONDS
from fourk.protocols.messages.errors import decode_messages_error as decode_messages_error
from fourk.protocols.messages.errors import decode_stream_error
from fourk.protocols.messages.usage import UsageCounts
from fourk.protocols.sse import SSEEvent

BLOB_PREFIX = "fourk.anthropic.v1:"


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


# -- the stream ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Block:
    kind: str
    text: list[str] = field(default_factory=list)  # thinking text
    signature: str = ""
    data: str = ""  # redacted thinking
    start_input: object = None  # a tool_use's input as its start carried it
    streamed: bool = False  # a tool_use got input_json_delta pieces


class MessagesStreamDecoder:
    """One Anthropic event stream → the Responses events for Codex."""

    __slots__ = ("_blocks", "_builder", "_counts", "_started", "_stop_reason")

    def __init__(self, *, response_id: str, model: str, created_at: int, tools: ToolSet) -> None:
        self._builder = ResponsesBuilder(response_id, model, created_at, tools)
        self._blocks: dict[int, _Block] = {}
        self._counts = UsageCounts()
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
        code, message = decode_stream_error(error)
        return self._builder.fail(code, message, self._usage())

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
