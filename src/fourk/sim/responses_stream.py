"""An `Answer` as OpenAI Responses events and objects (pure, lazy).

The event sequence follows OpenAI's (see reference/sse-sample-*.txt):
created → in_progress → per item: output_item.added, its part and delta events,
output_item.done → completed (with the whole output and usage). Each event is encoded to
SSE bytes as it is asked for; nothing holds the whole stream.
"""

from __future__ import annotations

from collections.abc import Iterator

from fourk.sim.answer import Answer, split_text
from fourk.sim.faults import FailedFault
from fourk.sim.ids import IdFactory
from fourk.sim.items import (
    Compaction,
    CustomToolCall,
    FunctionCall,
    OutputItem,
    Reasoning,
    TextMessage,
)
from fourk.sim.responses_wire import (
    JSONObject,
    encode_item,
    encode_output_text,
    encode_response,
    encode_summary_text,
    item_id_prefix,
)
from fourk.sim.sse import encode_typed_event


class ResponsesEventStream:
    """The events of one response, numbered by `sequence_number` in the order asked for."""

    __slots__ = ("_answer", "_chunks", "_item_ids", "_sequence", "response_id")

    def __init__(self, answer: Answer, new_id: IdFactory, chunks: int = 8) -> None:
        self._answer = answer
        self._chunks = max(1, chunks)
        self._item_ids = tuple(new_id(item_id_prefix(item)) for item in answer.items)
        self._sequence = 0
        self.response_id = new_id("resp")

    def events(self) -> Iterator[bytes]:
        """The whole successful stream."""
        yield from self.head()
        yield from self.body()
        yield self.completed()

    def unfinished(self) -> Iterator[bytes]:
        """The stream without its final response.completed (a `no_completed` fault)."""
        yield from self.head()
        yield from self.body()

    def failing(self, fault: FailedFault) -> Iterator[bytes]:
        """response.created, then response.failed with the fault's error (a `failed` fault)."""
        yield self.created()
        yield self.failed(fault.code, fault.message, fault.error_type)

    def head(self) -> Iterator[bytes]:
        """response.created and response.in_progress."""
        yield self.created()
        yield self._event("response.in_progress", {"response": self.response("in_progress")})

    def created(self) -> bytes:
        return self._event("response.created", {"response": self.response("in_progress")})

    def body(self) -> Iterator[bytes]:
        """Every item's events, from output_item.added to output_item.done."""
        for index, item in enumerate(self._answer.items):
            yield from self._item_events(index, item, self._item_ids[index])

    def completed(self) -> bytes:
        return self._event("response.completed", {"response": self.response("completed")})

    def failed(self, code: str, message: str, error_type: str | None = None) -> bytes:
        """response.failed with `response.error` = {code, message[, type]}."""
        error: JSONObject = {"code": code, "message": message}
        if error_type is not None:
            error["type"] = error_type
        response = encode_response(
            self.response_id,
            self._answer.model,
            self._answer.created_at,
            status="failed",
            error=error,
        )
        return self._event("response.failed", {"response": response})

    def response(self, status: str) -> JSONObject:
        """The `response` object; a completed one carries the output and usage."""
        answer = self._answer
        if status != "completed":
            return encode_response(self.response_id, answer.model, answer.created_at, status=status)
        output = [
            encode_item(item, item_id)
            for item, item_id in zip(answer.items, self._item_ids, strict=True)
        ]
        return encode_response(
            self.response_id,
            answer.model,
            answer.created_at,
            status=status,
            output=output,
            usage=answer.usage,
        )

    def _event(self, kind: str, fields: JSONObject) -> bytes:
        payload: JSONObject = {"type": kind, "sequence_number": self._sequence}
        payload.update(fields)
        self._sequence += 1
        return encode_typed_event(payload)

    def _item_events(self, index: int, item: OutputItem, item_id: str) -> Iterator[bytes]:
        where: JSONObject = {"item_id": item_id, "output_index": index}
        added = encode_item(item, item_id, done=False)
        yield self._event("response.output_item.added", {"output_index": index, "item": added})
        match item:
            case TextMessage(text=text):
                yield from self._text_events(where, text)
            case FunctionCall(arguments=arguments):
                yield from self._argument_events(where, arguments)
            case CustomToolCall(input=text):
                yield from self._input_events(where, text)
            case Reasoning(summary=summary):
                yield from self._summary_events(where, summary)
            case Compaction():
                pass
        done = encode_item(item, item_id)
        yield self._event("response.output_item.done", {"output_index": index, "item": done})

    def _text_events(self, where: JSONObject, text: str) -> Iterator[bytes]:
        at: JSONObject = {**where, "content_index": 0}
        yield self._event("response.content_part.added", {**at, "part": encode_output_text("")})
        for piece in split_text(text, self._chunks):
            yield self._event("response.output_text.delta", {**at, "delta": piece})
        yield self._event("response.output_text.done", {**at, "text": text})
        yield self._event("response.content_part.done", {**at, "part": encode_output_text(text)})

    def _argument_events(self, where: JSONObject, arguments: str) -> Iterator[bytes]:
        for piece in split_text(arguments, self._chunks):
            yield self._event("response.function_call_arguments.delta", {**where, "delta": piece})
        yield self._event(
            "response.function_call_arguments.done", {**where, "arguments": arguments}
        )

    def _input_events(self, where: JSONObject, text: str) -> Iterator[bytes]:
        for piece in split_text(text, self._chunks):
            yield self._event("response.custom_tool_call_input.delta", {**where, "delta": piece})
        yield self._event("response.custom_tool_call_input.done", {**where, "input": text})

    def _summary_events(self, where: JSONObject, summary: str) -> Iterator[bytes]:
        at: JSONObject = {**where, "summary_index": 0}
        kind = "response.reasoning_summary"
        yield self._event(f"{kind}_part.added", {**at, "part": encode_summary_text("")})
        for piece in split_text(summary, self._chunks):
            yield self._event(f"{kind}_text.delta", {**at, "delta": piece})
        yield self._event(f"{kind}_text.done", {**at, "text": summary})
        yield self._event(f"{kind}_part.done", {**at, "part": encode_summary_text(summary)})


def encode_answer(answer: Answer, new_id: IdFactory) -> JSONObject:
    """The non-streaming (`stream: false`) response: the same object `completed` carries."""
    return ResponsesEventStream(answer, new_id, chunks=1).response("completed")
