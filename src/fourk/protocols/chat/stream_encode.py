"""Encoding hub (Responses) output for a Chat Completions client: streamed chunks or one
`chat.completion` object.

The stream encoder takes one Responses event at a time and keeps only a few counters per
output item (how much text or argument text it has sent), never the text itself. Deltas
are forwarded as they come; `response.output_item.done` and the `output` of the terminal
response fill in whatever the deltas did not carry, so a stream made only of `done` events
(as some upstreams send) still reaches the client whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fourk.protocols.hub.values import int_or
from fourk.protocols.sse import encode_event

DONE = b"data: [DONE]\n\n"
_FINISH_REASONS = {"max_output_tokens": "length", "content_filter": "content_filter"}
_CALL_KINDS = ("function_call", "custom_tool_call")


def encode_chunk(chunk: dict[str, Any]) -> bytes:
    """One `chat.completion.chunk` (or error chunk) as an SSE `data:` event."""
    return encode_event(chunk)


def encode_chat_usage(usage: dict[str, Any] | None) -> dict[str, Any] | None:
    """Responses `usage` → Chat `usage` (None stays None)."""
    if not isinstance(usage, dict):
        return None
    prompt, completion = int_or(usage.get("input_tokens")), int_or(usage.get("output_tokens"))
    total = usage.get("total_tokens")
    out: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": total if isinstance(total, int) else prompt + completion,
    }
    details = usage.get("input_tokens_details")
    if isinstance(details, dict):
        keys = ("cached_tokens", "cache_write_tokens")
        out["prompt_tokens_details"] = {k: int_or(details[k]) for k in keys if k in details}
    details = usage.get("output_tokens_details")
    if isinstance(details, dict):
        reasoning = int_or(details.get("reasoning_tokens"))
        out["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return out


def encode_chat_completion(
    response: dict[str, Any], *, chat_id: str, created: int, model: str | None = None
) -> dict[str, Any]:
    """A whole Responses response object → a `chat.completion` object. `model` overrides the
    response's own model name (e.g. with the name the client asked for). A failed response
    is the caller's to turn into an error; here it reads as an empty answer."""
    message = _whole_message(response.get("output"))
    incomplete = response.get("status") == "incomplete"
    calls = "tool_calls" in message
    choice = {
        "index": 0,
        "message": message,
        "finish_reason": _finish_reason(response, incomplete=incomplete, calls=calls),
        "logprobs": None,
    }
    return {
        "id": chat_id,
        "object": "chat.completion",
        "created": created,
        "model": model or str(response.get("model") or ""),
        "choices": [choice],
        "usage": encode_chat_usage(response.get("usage")),
    }


def _whole_message(output: Any) -> dict[str, Any]:
    """The Chat assistant message for a response's output items."""
    texts: list[str] = []
    refusals: list[str] = []
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    for item in _items(output):
        kind = item.get("type")
        if kind == "message":
            texts.extend(_part_texts(item, "output_text", "text"))
            refusals.extend(_part_texts(item, "refusal", "refusal"))
        elif kind == "reasoning" and (text := _reasoning_text(item)):
            reasoning.append(text)
        elif kind in _CALL_KINDS:
            call_id, name, arguments = _call_fields(item, len(calls))
            function = {"name": name, "arguments": arguments}
            calls.append({"id": call_id, "type": "function", "function": function})
    message: dict[str, Any] = {
        "role": "assistant",
        "content": "".join(texts) or None,
        "refusal": "".join(refusals) or None,
    }
    if reasoning:
        message["reasoning_content"] = "\n\n".join(reasoning)
    if calls:
        message["tool_calls"] = calls
    return message


@dataclass(slots=True)
class _Item:
    """What the encoder knows about one output item of the stream."""

    serial: int  # tells items apart even when they have neither id nor output index
    sent: int = 0  # characters sent: text, or the call's arguments text
    refusal_sent: int = 0
    call_id: str | None = None
    name: str | None = None
    index: int | None = None  # the Chat tool_calls index, once the call has been announced
    pending: str = ""  # argument text that came before the call's id and name


class ChatStreamEncoder:
    """Responses streaming events in, `chat.completion.chunk` dicts out, one event at a time."""

    def __init__(self, *, model: str, chat_id: str, created: int, include_usage: bool) -> None:
        self._model = model
        self._chat_id = chat_id
        self._created = created
        self._include_usage = include_usage
        self._by_id: dict[str, _Item] = {}
        self._by_index: dict[int, _Item] = {}
        self._items_done = 0
        self._calls = 0
        self._role_sent = False
        self._serial = 0
        self._reasoning_at: tuple[int, object] | None = None
        self._done = False

    @property
    def done(self) -> bool:
        """True once a terminal event (completed, incomplete, failed, error) was fed."""
        return self._done

    def feed(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        """Take one Responses event; return the chunks to send for it (maybe none)."""
        if self._done:
            return []
        kind = event.get("type")
        if kind in ("response.completed", "response.incomplete"):
            return self._finish(event, incomplete=kind == "response.incomplete")
        if kind in ("response.failed", "error"):
            return self._fail(event)
        if kind == "response.created":
            return [] if self._role_sent else [self._chunk({"content": ""})]
        if kind == "response.output_item.added":
            return self._item_added(event)
        if kind == "response.output_item.done":
            self._items_done += 1
            index = event.get("output_index", self._items_done - 1)
            return self._item_done(event.get("item"), index)
        return self._delta(kind, event)

    # -- deltas -------------------------------------------------------------------------

    def _delta(self, kind: Any, event: dict[str, Any]) -> list[dict[str, Any]]:
        delta = event.get("delta")
        if not isinstance(delta, str) or not delta:
            return []
        if kind == "response.output_text.delta":
            self._item(event).sent += len(delta)
            return [self._chunk({"content": delta})]
        if kind == "response.refusal.delta":
            self._item(event).refusal_sent += len(delta)
            return [self._chunk({"refusal": delta})]
        if kind == "response.reasoning_summary_text.delta":
            section = ("summary", event.get("summary_index"))
            return self._reasoning(self._item(event), section, delta)
        if kind == "response.reasoning_text.delta":
            section = ("content", event.get("content_index"))
            return self._reasoning(self._item(event), section, delta)
        if kind == "response.function_call_arguments.delta":
            return self._arguments(self._item(event), delta)
        if kind == "response.custom_tool_call_input.delta":
            item = self._item(event)
            piece = _escape(delta) if item.sent or item.pending else '{"input":"' + _escape(delta)
            return self._arguments(item, piece)
        return []

    def _reasoning(self, item: _Item, section: object, text: str) -> list[dict[str, Any]]:
        at = (item.serial, section)
        if self._reasoning_at is not None and self._reasoning_at != at:
            text = "\n\n" + text
        self._reasoning_at = at
        item.sent += len(text)
        return [self._chunk({"reasoning_content": text})]

    def _arguments(self, item: _Item, text: str) -> list[dict[str, Any]]:
        if item.index is None:
            item.pending += text
            return []
        item.sent += len(text)
        return [self._tool_chunk(item, {"function": {"arguments": text}})]

    # -- items --------------------------------------------------------------------------

    def _item_added(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        item = event.get("item")
        if not isinstance(item, dict) or item.get("type") not in _CALL_KINDS:
            return []
        state = self._keyed(item.get("id"), event.get("output_index"))
        return self._announce(state, item)

    def _item_done(self, item: Any, index: Any) -> list[dict[str, Any]]:
        if not isinstance(item, dict):
            return []
        kind = item.get("type")
        state = self._keyed(item.get("id"), index)
        if kind == "message":
            return self._rest(state, item)
        if kind == "reasoning":
            text = _reasoning_text(item)
            return self._reasoning(state, "done", text) if text and not state.sent else []
        if kind not in _CALL_KINDS:
            return []
        chunks = self._announce(state, item)
        arguments = _call_fields(item, self._calls)[2]
        if state.index is not None and len(arguments) > state.sent:
            chunks.extend(self._arguments(state, arguments[state.sent :]))
        return chunks

    def _rest(self, state: _Item, item: dict[str, Any]) -> list[dict[str, Any]]:
        """The end of a message's text and refusal that its deltas did not carry."""
        chunks = []
        text = "".join(_part_texts(item, "output_text", "text"))[state.sent :]
        if text:
            state.sent += len(text)
            chunks.append(self._chunk({"content": text}))
        refusal = "".join(_part_texts(item, "refusal", "refusal"))[state.refusal_sent :]
        if refusal:
            state.refusal_sent += len(refusal)
            chunks.append(self._chunk({"refusal": refusal}))
        return chunks

    def _announce(self, state: _Item, item: dict[str, Any]) -> list[dict[str, Any]]:
        """The call's first tool_calls delta (id, type, name), then any early arguments."""
        if state.index is not None:
            return []
        state.call_id, state.name, _ = _call_fields(item, self._calls)
        state.index, self._calls = self._calls, self._calls + 1
        function = {"name": state.name, "arguments": ""}
        head = {"id": state.call_id, "type": "function", "function": function}
        chunks = [self._tool_chunk(state, head)]
        pending, state.pending = state.pending, ""
        if pending:
            chunks.extend(self._arguments(state, pending))
        return chunks

    def _item(self, event: dict[str, Any]) -> _Item:
        return self._keyed(event.get("item_id"), event.get("output_index"))

    def _keyed(self, item_id: Any, index: Any) -> _Item:
        """The state of an output item, found by its id or its output index."""
        state = self._by_id.get(item_id) if isinstance(item_id, str) else None
        if state is None and isinstance(index, int):
            state = self._by_index.get(index)
        if state is None:
            self._serial += 1
            state = _Item(self._serial)
        if isinstance(item_id, str):
            self._by_id.setdefault(item_id, state)
        if isinstance(index, int):
            self._by_index.setdefault(index, state)
        return state

    # -- the end ------------------------------------------------------------------------

    def _finish(self, event: dict[str, Any], *, incomplete: bool) -> list[dict[str, Any]]:
        response = event.get("response")
        response = response if isinstance(response, dict) else {}
        chunks = []
        output = response.get("output")
        for index, item in enumerate(output if isinstance(output, list) else []):
            chunks.extend(self._item_done(item, index))
        reason = _finish_reason(response, incomplete=incomplete, calls=self._calls > 0)
        chunks.append(self._chunk({}, reason))
        usage = encode_chat_usage(response.get("usage"))
        if self._include_usage and usage is not None:
            chunks.append({**self._envelope([]), "usage": usage})
        self._done = True
        return chunks

    def _fail(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        """OpenAI's mid-stream error chunk, from `response.failed` or a top-level `error`."""
        self._done = True
        if event.get("type") == "error":  # the error's fields sit on the event itself
            error = {k: event.get(k) for k in ("message", "code", "param")}
        else:
            response = event.get("response")
            found = response.get("error") if isinstance(response, dict) else None
            error = found if isinstance(found, dict) else {}
        message = error.get("message") or "The upstream failed while generating the response."
        body = {
            "message": str(message),
            "type": str(error.get("type") or "server_error"),
            "code": error.get("code"),
            "param": error.get("param"),
        }
        return [{"error": body}]

    # -- chunks -------------------------------------------------------------------------

    def _tool_chunk(self, state: _Item, call: dict[str, Any]) -> dict[str, Any]:
        return self._chunk({"tool_calls": [{"index": state.index, **call}]})

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        if not self._role_sent:
            delta = {"role": "assistant", **delta}
            self._role_sent = True
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return self._envelope([choice])

    def _envelope(self, choices: list[dict[str, Any]]) -> dict[str, Any]:
        chunk: dict[str, Any] = {
            "id": self._chat_id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model,
            "choices": choices,
        }
        if self._include_usage:
            chunk["usage"] = None
        return chunk


def _finish_reason(response: dict[str, Any], *, incomplete: bool, calls: bool) -> str:
    if incomplete:
        details = response.get("incomplete_details")
        reason = details.get("reason") if isinstance(details, dict) else None
        if reason in _FINISH_REASONS:
            return _FINISH_REASONS[reason]
    return "tool_calls" if calls else "stop"


def _call_fields(item: dict[str, Any], position: int) -> tuple[str, str, str]:
    """(call id, name, Chat arguments) of a function or custom tool call item. A custom
    call's free text becomes the arguments `{"input": <text>}`."""
    call_id = item.get("call_id") or item.get("id") or f"call_{position}"
    if item.get("type") == "custom_tool_call":
        arguments = '{"input":"' + _escape(str(item.get("input") or "")) + '"}'
    else:
        raw = item.get("arguments")
        arguments = raw if isinstance(raw, str) else ""
    return str(call_id), str(item.get("name") or ""), arguments


def _escape(text: str) -> str:
    """The inside of a JSON string; escaping is per character, so pieces escaped one by one
    join to the escape of the whole."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _reasoning_text(item: dict[str, Any]) -> str:
    texts = _part_texts(item, "summary_text", "text", field="summary")
    if not any(texts):
        texts = _part_texts(item, "reasoning_text", "text")
    return "\n\n".join(t for t in texts if t)


def _part_texts(item: dict[str, Any], kind: str, key: str, field: str = "content") -> list[str]:
    parts = item.get(field)
    if not isinstance(parts, list):
        return []
    return [
        p[key]
        for p in parts
        if isinstance(p, dict) and p.get("type") == kind and isinstance(p.get(key), str)
    ]


def _items(output: Any) -> list[dict[str, Any]]:
    return [item for item in output if isinstance(item, dict)] if isinstance(output, list) else []
