"""An `Answer` as Anthropic Messages stream events (pure, lazy).

`event: NAME` / `data: {json}` pairs: message_start (the empty message, usage with one
output token), a ping, then per content block content_block_start, its deltas
(`thinking_delta` pieces and one `signature_delta`; `text_delta`; `input_json_delta`
pieces of the tool input) and content_block_stop, then message_delta (stop_reason and the
output tokens) and message_stop.
"""

from __future__ import annotations

from collections.abc import Iterator

from fourk.sim.answer import Answer, split_text
from fourk.sim.anthropic_wire import (
    anthropic_error,
    content_blocks,
    encode_block,
    encode_message,
    error_type_for,
    stop_reason,
    tool_input,
)
from fourk.sim.faults import FailedFault
from fourk.sim.ids import IdFactory
from fourk.sim.items import CustomToolCall, FunctionCall, OutputItem, Reasoning, TextMessage
from fourk.sim.responses_wire import JSONObject
from fourk.sim.sse import encode_typed_event

START_OUTPUT_TOKENS = 1
"""What message_start reports as output so far, as Anthropic's small running count does."""


class AnthropicEventStream:
    """The events of one streamed message, encoded as they are asked for."""

    __slots__ = ("_answer", "_chunks", "message_id")

    def __init__(self, answer: Answer, new_id: IdFactory, chunks: int = 8) -> None:
        self._answer = answer
        self._chunks = max(1, chunks)
        self.message_id = new_id("msg")

    def events(self) -> Iterator[bytes]:
        """The whole successful stream."""
        yield from self.unfinished()
        delta = {"stop_reason": stop_reason(self._answer), "stop_sequence": None}
        usage = {"output_tokens": self._answer.usage.output_tokens}
        yield self._event("message_delta", {"delta": delta, "usage": usage})
        yield self._event("message_stop", {})

    def unfinished(self) -> Iterator[bytes]:
        """Every block but no message_delta or message_stop (a `no_completed` fault)."""
        yield self.started()
        yield self._event("ping", {})
        for index, item in enumerate(content_blocks(self._answer.items)):
            yield from self._block_events(index, item)

    def failing(self, fault: FailedFault) -> Iterator[bytes]:
        """message_start, then an `error` event (a `failed` fault)."""
        yield self.started()
        hint = fault.error_type or fault.code
        yield encode_typed_event(anthropic_error(error_type_for(500, hint), fault.message))

    def started(self) -> bytes:
        message = encode_message(
            self._answer, self.message_id, done=False, output_tokens=START_OUTPUT_TOKENS
        )
        return self._event("message_start", {"message": message})

    def _block_events(self, index: int, item: OutputItem) -> Iterator[bytes]:
        start = encode_block(item, done=False)
        yield self._event("content_block_start", {"index": index, "content_block": start})
        for delta in self._deltas(item):
            yield self._event("content_block_delta", {"index": index, "delta": delta})
        yield self._event("content_block_stop", {"index": index})

    def _deltas(self, item: OutputItem) -> Iterator[JSONObject]:
        match item:
            case TextMessage(text=text):
                for piece in split_text(text, self._chunks):
                    yield {"type": "text_delta", "text": piece}
            case Reasoning(summary=summary, encrypted_content=blob):
                for piece in split_text(summary, self._chunks):
                    yield {"type": "thinking_delta", "thinking": piece}
                yield {"type": "signature_delta", "signature": blob or ""}
            case FunctionCall() | CustomToolCall():
                for piece in split_text(tool_input(item), self._chunks):
                    yield {"type": "input_json_delta", "partial_json": piece}
            case _:
                pass

    def _event(self, kind: str, fields: JSONObject) -> bytes:
        return encode_typed_event({"type": kind, **fields})
