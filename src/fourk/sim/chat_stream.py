"""An `Answer` as Chat Completions stream chunks (pure, lazy).

`data: {chunk}` lines of `chat.completion.chunk` objects: a first delta with the role,
then `reasoning_content`, `content` and `tool_calls` deltas in the answer's order (text,
reasoning and arguments each split into `chunks` pieces), a chunk with the
`finish_reason`, a usage chunk with no choices when the request asked for it
(`stream_options.include_usage`), and `data: [DONE]`.
"""

from __future__ import annotations

from collections.abc import Iterator

from fourk.sim.answer import Answer, split_text
from fourk.sim.chat_wire import (
    completion_id,
    encode_chat_usage,
    finish_reason,
    tool_calls_of,
)
from fourk.sim.faults import FailedFault
from fourk.sim.ids import IdFactory
from fourk.sim.items import FunctionCall, OutputItem, Reasoning, TextMessage
from fourk.sim.responses_wire import JSONObject, openai_error
from fourk.sim.sse import DONE, encode_event


class ChatChunkStream:
    """The chunks of one streamed chat completion, encoded as they are asked for."""

    __slots__ = ("_answer", "_chunks", "_include_usage", "_tool_index", "completion_id")

    def __init__(
        self, answer: Answer, new_id: IdFactory, chunks: int = 8, *, include_usage: bool = False
    ) -> None:
        self._answer = answer
        self._chunks = max(1, chunks)
        self._include_usage = include_usage
        calls = tool_calls_of(answer.items)
        self._tool_index = {call.call_id: index for index, call in enumerate(calls)}
        self.completion_id = completion_id(new_id)

    def events(self) -> Iterator[bytes]:
        """The whole successful stream."""
        yield from self.unfinished()
        yield self._chunk({}, finish_reason(self._answer))
        if self._include_usage:
            yield encode_event({**self._base(), "choices": [], "usage": self._usage()})
        yield DONE

    def unfinished(self) -> Iterator[bytes]:
        """Every delta but no finish_reason, usage or [DONE] (a `no_completed` fault)."""
        yield self._chunk({"role": "assistant", "content": ""})
        for item in self._answer.items:
            yield from self._item_chunks(item)

    def failing(self, fault: FailedFault) -> Iterator[bytes]:
        """The role chunk, then an OpenAI error object where a chunk should be."""
        yield self._chunk({"role": "assistant", "content": ""})
        error = openai_error(fault.message, fault.error_type or "server_error", fault.code)
        yield encode_event(error)

    def _item_chunks(self, item: OutputItem) -> Iterator[bytes]:
        match item:
            case TextMessage(text=text):
                for piece in split_text(text, self._chunks):
                    yield self._chunk({"content": piece})
            case Reasoning(summary=summary):
                for piece in split_text(summary, self._chunks):
                    yield self._chunk({"reasoning_content": piece})
            case _:
                for call in tool_calls_of([item]):
                    yield from self._call_chunks(call)

    def _call_chunks(self, call: FunctionCall) -> Iterator[bytes]:
        index = self._tool_index[call.call_id]
        function = {"name": call.name, "arguments": ""}
        opening = {"index": index, "id": call.call_id, "type": "function", "function": function}
        yield self._chunk({"tool_calls": [opening]})
        for piece in split_text(call.arguments, self._chunks):
            yield self._chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})

    def _chunk(self, delta: JSONObject, finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        chunk: JSONObject = {**self._base(), "choices": [choice]}
        if self._include_usage:
            chunk["usage"] = None
        return encode_event(chunk)

    def _base(self) -> JSONObject:
        answer = self._answer
        return {
            "id": self.completion_id,
            "object": "chat.completion.chunk",
            "created": answer.created_at,
            "model": answer.model,
        }

    def _usage(self) -> JSONObject:
        return encode_chat_usage(self._answer.usage)
