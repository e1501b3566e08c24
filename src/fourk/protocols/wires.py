"""The three wire protocols side by side: how each is written to an upstream and read back,
and how each is written to a client. Everything passes through the hub (Responses shapes),
so a protocol needs one entry here, not one converter per pair.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import orjson

from fourk.billing.usage import Usage
from fourk.protocols.chat.request_encode import encode_chat_request
from fourk.protocols.chat.stream_decode import (
    ChatStreamDecoder,
    decode_chat_completion,
    decode_chat_error,
)
from fourk.protocols.chat.stream_encode import (
    DONE,
    ChatStreamEncoder,
    encode_chat_completion,
    encode_chunk,
)
from fourk.protocols.hub.tools import ToolSet
from fourk.protocols.messages.request_encode import encode_messages_request
from fourk.protocols.messages.stream_decode import (
    MessagesStreamDecoder,
    decode_message,
    decode_messages_error,
)
from fourk.protocols.messages.stream_encode import (
    MessagesStreamEncoder,
    encode_message,
)
from fourk.protocols.messages.stream_encode import (
    encode_event as encode_messages_event,
)
from fourk.protocols.responses.stream import TERMINAL_TYPES, decode_terminal
from fourk.protocols.sse import SSEEvent, encode_typed_event

Wire = Literal["responses", "chat", "messages"]
Event = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Ids:
    """What the client's answer is called: ids and times are made by the caller (pure code
    has no clock); `model` is the name the client asked for."""

    response_id: str
    model: str
    created_at: int


@dataclass(frozen=True, slots=True)
class Encoded:
    """A request as one upstream protocol takes it."""

    body: dict[str, Any]
    tools: ToolSet
    dropped: tuple[str, ...] = ()


class StreamDecoder(Protocol):
    """An upstream's events → hub events."""

    @property
    def done(self) -> bool: ...

    @property
    def usage(self) -> Usage | None: ...

    @property
    def terminal(self) -> Event | None: ...

    def feed(self, event: SSEEvent) -> list[Event]: ...

    def finish(self) -> list[Event]: ...


class StreamEncoder(Protocol):
    """Hub events → a client's bytes."""

    def encode(self, event: Event) -> bytes: ...

    def closing(self) -> bytes:
        """What follows the terminal event (Chat's `[DONE]`)."""
        ...


# -- upstream side -------------------------------------------------------------------------


def encode_upstream(
    wire: Wire, hub: Mapping[str, Any], model: str, options: Mapping[str, Any]
) -> Encoded:
    """The hub request for an upstream of `wire`, with the upstream's model name."""
    if wire == "chat":
        chat = encode_chat_request(dict(hub), model=model, options=options)
        return Encoded(chat.body, chat.tools, chat.dropped)
    if wire == "messages":
        messages = encode_messages_request(dict(hub), model=model, options=options)
        return Encoded(messages.body, messages.tools, messages.dropped)
    return Encoded(_for_responses(hub, model), ToolSet())


def _for_responses(hub: Mapping[str, Any], model: str) -> dict[str, Any]:
    """A translated request for a Responses upstream: reasoning another protocol's client
    sent back as text (no `encrypted_content`) cannot be given to OpenAI, so it is left out."""
    body = {**hub, "model": model}
    items = body.get("input")
    if isinstance(items, list):
        body["input"] = [
            item
            for item in items
            if not (
                isinstance(item, Mapping)
                and item.get("type") == "reasoning"
                and not item.get("encrypted_content")
            )
        ]
    return body


def stream_decoder(wire: Wire, ids: Ids, tools: ToolSet) -> StreamDecoder:
    if wire == "chat":
        return ChatStreamDecoder(
            response_id=ids.response_id, model=ids.model, created_at=ids.created_at, tools=tools
        )
    if wire == "messages":
        return MessagesStreamDecoder(
            response_id=ids.response_id, model=ids.model, created_at=ids.created_at, tools=tools
        )
    return ResponsesStreamDecoder(ids.model)


def decode_whole(wire: Wire, body: bytes, ids: Ids, tools: ToolSet) -> Event:
    """A whole upstream answer as a Responses response object."""
    payload = orjson.loads(body)
    if not isinstance(payload, dict):
        raise ValueError("the upstream's answer is not a JSON object")
    if wire == "chat":
        return decode_chat_completion(
            payload,
            response_id=ids.response_id,
            model=ids.model,
            created_at=ids.created_at,
            tools=tools,
        )
    if wire == "messages":
        return decode_message(
            payload,
            response_id=ids.response_id,
            model=ids.model,
            created_at=ids.created_at,
            tools=tools,
        )
    return {**payload, "model": ids.model}


def decode_error(wire: Wire, status: int, body: bytes) -> tuple[str, str] | None:
    """(Codex code, message) from an upstream's error body, for the non-Responses wires."""
    if wire == "chat":
        return decode_chat_error(status, body)
    if wire == "messages":
        return decode_messages_error(status, body)
    return None


class ResponsesStreamDecoder:
    """A Responses upstream read as hub events (for Chat and Messages clients): the events
    are the hub already; only the model name is the client's."""

    __slots__ = ("_model", "terminal")

    def __init__(self, model: str) -> None:
        self._model = model
        self.terminal: Event | None = None

    @property
    def done(self) -> bool:
        return self.terminal is not None

    @property
    def usage(self) -> Usage | None:
        if self.terminal is None:
            return None
        response = self.terminal.get("response")
        return decode_terminal(self.terminal["type"], response).usage if response else None

    def feed(self, event: SSEEvent) -> list[Event]:
        if self.terminal is not None:
            return []
        try:
            payload = orjson.loads(event.data)
        except orjson.JSONDecodeError:
            return []
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
            return []
        response = payload.get("response")
        if isinstance(response, dict):
            response["model"] = self._model
        if payload["type"] in TERMINAL_TYPES:
            if not isinstance(response, dict):
                payload["response"] = {}
            self.terminal = payload
        return [payload]

    def finish(self) -> list[Event]:
        return []


# -- client side ---------------------------------------------------------------------------


class _ResponsesClient:
    __slots__ = ()

    def encode(self, event: Event) -> bytes:
        return encode_typed_event(event)

    def closing(self) -> bytes:
        return b""


class _ChatClient:
    __slots__ = ("_encoder",)

    def __init__(self, ids: Ids, include_usage: bool) -> None:
        chat_id = "chatcmpl-" + ids.response_id.removeprefix("resp_")
        self._encoder = ChatStreamEncoder(
            model=ids.model, chat_id=chat_id, created=ids.created_at, include_usage=include_usage
        )

    def encode(self, event: Event) -> bytes:
        return b"".join(encode_chunk(chunk) for chunk in self._encoder.feed(event))

    def closing(self) -> bytes:
        return DONE


class _MessagesClient:
    __slots__ = ("_encoder",)

    def __init__(self, ids: Ids) -> None:
        message_id = "msg_" + ids.response_id.removeprefix("resp_")
        self._encoder = MessagesStreamEncoder(model=ids.model, message_id=message_id)

    def encode(self, event: Event) -> bytes:
        return b"".join(encode_messages_event(out) for out in self._encoder.feed(event))

    def closing(self) -> bytes:
        return b""


def stream_encoder(wire: Wire, ids: Ids, include_usage: bool) -> StreamEncoder:
    if wire == "chat":
        return _ChatClient(ids, include_usage)
    if wire == "messages":
        return _MessagesClient(ids)
    return _ResponsesClient()


def encode_whole(wire: Wire, response: Event, ids: Ids) -> bytes:
    """A Responses response object as the client's whole answer."""
    suffix = ids.response_id.removeprefix("resp_")
    if wire == "chat":
        return orjson.dumps(
            encode_chat_completion(response, chat_id="chatcmpl-" + suffix, created=ids.created_at)
        )
    if wire == "messages":
        return orjson.dumps(encode_message(response, message_id="msg_" + suffix))
    return orjson.dumps(response)
