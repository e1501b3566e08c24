"""The three wire protocols the simulator speaks, each as one `Dialect` (pure).

A dialect reads its request into a `SimRequest`, writes an `Answer` as a stream or a
whole object, and shapes errors: OpenAI's `{"error": {...}}` for Responses and Chat,
Anthropic's `{"type": "error", "error": {...}}` for Messages. The simulator applies
faults and pacing the same way whichever dialect it speaks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

from fourk.sim.answer import Answer
from fourk.sim.anthropic_request import read_anthropic_request
from fourk.sim.anthropic_stream import AnthropicEventStream
from fourk.sim.anthropic_wire import ERROR_TYPES, anthropic_error, encode_message, error_type_for
from fourk.sim.chat_request import read_chat_request
from fourk.sim.chat_stream import ChatChunkStream
from fourk.sim.chat_wire import completion_id, encode_chat_completion
from fourk.sim.faults import FailedFault, StatusFault, default_error_body
from fourk.sim.ids import IdFactory
from fourk.sim.request import SimRequest, read_responses_request
from fourk.sim.responses_stream import ResponsesEventStream, encode_answer
from fourk.sim.responses_wire import JSONObject, openai_error
from fourk.sim.timeline import MALFORMED_EVENT

PROTOCOLS = ("responses", "chat", "anthropic")
DEFAULT_STATUS_MESSAGE = "simulated upstream error"


class EventSource(Protocol):
    """One answer's stream events, whole or as a fault wants them."""

    def events(self) -> Iterator[bytes]: ...

    def unfinished(self) -> Iterator[bytes]: ...

    def failing(self, fault: FailedFault) -> Iterator[bytes]: ...


ErrorBody = Callable[[int, str, str, str | None, str | None], JSONObject]
"""(status, message, OpenAI error type, code, param) → the dialect's error body."""


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str
    read: Callable[[Mapping[str, object]], SimRequest]
    error_body: ErrorBody
    stream: Callable[[Answer, SimRequest, IdFactory, int], EventSource]
    whole: Callable[[Answer, IdFactory], JSONObject]
    call_prefix: str = "call"
    """The prefix of the tool-call ids the model makes (`toolu` on Anthropic)."""
    malformed_event: bytes = MALFORMED_EVENT

    def ids(self, new_id: IdFactory) -> IdFactory:
        """`new_id`, making tool-call ids with this dialect's prefix."""
        if self.call_prefix == "call":
            return new_id
        prefix = self.call_prefix
        return lambda kind: new_id(prefix if kind == "call" else kind)

    def status_body(self, fault: StatusFault) -> JSONObject:
        """A status fault's body: its own, or the default error in this dialect's shape."""
        if fault.body != default_error_body():
            return fault.body
        return self.error_body(fault.status, DEFAULT_STATUS_MESSAGE, "server_error", None, None)


def _openai_error_body(
    status: int, message: str, type_: str, code: str | None, param: str | None
) -> JSONObject:
    return openai_error(message, type_, code, param)


def _anthropic_error_body(
    status: int, message: str, type_: str, code: str | None, param: str | None
) -> JSONObject:
    hint = type_ if type_ in ERROR_TYPES else code
    return anthropic_error(error_type_for(status, hint), message)


def _responses_stream(
    answer: Answer, request: SimRequest, new_id: IdFactory, chunks: int
) -> EventSource:
    return ResponsesEventStream(answer, new_id, chunks)


def _chat_stream(
    answer: Answer, request: SimRequest, new_id: IdFactory, chunks: int
) -> EventSource:
    return ChatChunkStream(answer, new_id, chunks, include_usage=request.include_usage)


def _chat_whole(answer: Answer, new_id: IdFactory) -> JSONObject:
    return encode_chat_completion(answer, completion_id(new_id))


def _anthropic_stream(
    answer: Answer, request: SimRequest, new_id: IdFactory, chunks: int
) -> EventSource:
    return AnthropicEventStream(answer, new_id, chunks)


def _anthropic_whole(answer: Answer, new_id: IdFactory) -> JSONObject:
    return encode_message(answer, new_id("msg"))


RESPONSES = Dialect(
    "responses", read_responses_request, _openai_error_body, _responses_stream, encode_answer
)
CHAT = Dialect("chat", read_chat_request, _openai_error_body, _chat_stream, _chat_whole)
ANTHROPIC = Dialect(
    "anthropic",
    read_anthropic_request,
    _anthropic_error_body,
    _anthropic_stream,
    _anthropic_whole,
    call_prefix="toolu",
    malformed_event=b"event: content_block_delta\n" + MALFORMED_EVENT,
)


def dialect_named(name: str) -> Dialect:
    """The dialect called `name` ("responses", "chat" or "anthropic"); ValueError otherwise."""
    for dialect in (RESPONSES, CHAT, ANTHROPIC):
        if dialect.name == name:
            return dialect
    raise ValueError(f"unknown sim protocol {name!r}; known: {', '.join(PROTOCOLS)}")
