"""Hub (Responses) output → the Anthropic Messages wire: stream events and whole messages.

Pure translation with explicit stream state. How the items map:

- `reasoning` → a `thinking` block: summary (or raw reasoning) text as `thinking_delta`s,
  its `encrypted_content` as the block's signature (so the client sends it back intact);
- `message` → a `text` block (refusal text too, with stop reason `refusal`);
- `function_call` → `tool_use` (`id` = call_id, arguments streamed as `input_json_delta`);
- `custom_tool_call` → `tool_use` with input `{"input": <text>}`, sent whole at the end;
- other items (hosted tool calls) have no Anthropic client form and are skipped.

Text and thinking blocks start at their first content, so an empty item sends no block.
An item whose deltas never came is sent whole from its `output_item.done`; deltas with no
`output_item.added` still open their block (a tool call waits for its name).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from fourk.protocols.hub.values import json_object
from fourk.protocols.messages.errors import encode_messages_error as encode_messages_error
from fourk.protocols.messages.usage import encode_messages_usage as encode_messages_usage
from fourk.protocols.sse import encode_typed_event

_BLOCK_KINDS = {
    "reasoning": "thinking",
    "message": "text",
    "function_call": "tool_use",
    "custom_tool_call": "custom",
}
_DELTA_KINDS = {
    "response.output_text.delta": "text",
    "response.refusal.delta": "text",
    "response.reasoning_summary_text.delta": "thinking",
    "response.reasoning_text.delta": "thinking",
    "response.function_call_arguments.delta": "tool_use",
    "response.custom_tool_call_input.delta": "custom",
}


@dataclass(slots=True)
class _Block:
    """One output item on its way to becoming one Anthropic content block."""

    kind: str  # "thinking" | "text" | "tool_use" | "custom"
    index: int | None = None  # the Anthropic block index, once content_block_start went out
    call_id: str = ""
    name: str = ""
    sent: bool = False  # some content went out (or, for tools, was held in `pending`)
    part: object = None  # the summary/content index of the last thinking delta
    pending: list[str] = field(default_factory=list)
    closed: bool = False


class MessagesStreamEncoder:
    """Responses stream events in, Anthropic Messages stream events out, one at a time."""

    def __init__(self, *, model: str, message_id: str) -> None:
        self._model = model
        self._message_id = message_id
        self._blocks: dict[tuple[str, object], _Block] = {}
        self._order: list[_Block] = []
        self._next_index = 0
        self._started = False
        self._tool_used = False
        self._refused = False
        self._done = False

    @property
    def done(self) -> bool:
        """True once `message_stop` or an `error` event has been produced."""
        return self._done

    def feed(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        """Take one Responses event; return the Anthropic events it makes (maybe none)."""
        if self._done:
            return []
        kind = event.get("type")
        out: list[dict[str, Any]] = []
        if kind in ("response.failed", "error"):
            self._fail(event, out)
            return out
        self._start(out)
        if kind == "response.output_item.added":
            self._item_added(event, out)
        elif kind == "response.output_item.done":
            self._item_done(event, out)
        elif isinstance(kind, str) and kind in _DELTA_KINDS:
            self._delta(event, _DELTA_KINDS[kind], out)
        elif kind in ("response.completed", "response.incomplete"):
            self._finish(event, out)
        return out

    def _start(self, out: list[dict[str, Any]]) -> None:
        if self._started:
            return
        self._started = True
        message: dict[str, Any] = {
            "id": self._message_id,
            "type": "message",
            "role": "assistant",
            "model": self._model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        out.append({"type": "message_start", "message": message})

    def _find(self, event: dict[str, Any], item_id: object, kind: str) -> _Block:
        """The block of this event's item, made (and remembered) on first sight."""
        keys = [("n", event.get("output_index")), ("id", item_id)]
        keys = [key for key in keys if key[1] is not None]
        for key in keys:
            if key in self._blocks:
                block = self._blocks[key]
                break
        else:
            last = self._order[-1] if self._order else None
            if not keys and last is not None and last.kind == kind and not last.closed:
                return last  # an event that names no item belongs to the open one
            block = _Block(kind)
            self._order.append(block)
        for key in keys:
            self._blocks.setdefault(key, block)
        return block

    def _item_added(self, event: dict[str, Any], out: list[dict[str, Any]]) -> None:
        item = _dict(event.get("item"))
        kind = _BLOCK_KINDS.get(str(item.get("type")))
        if kind is None:
            return
        block = self._find(event, item.get("id"), kind)
        if kind in ("tool_use", "custom"):
            self._name_tool(block, item)
            self._open(block, out)
            if kind == "tool_use":
                self._send_pending(block, out)

    def _delta(self, event: dict[str, Any], kind: str, out: list[dict[str, Any]]) -> None:
        delta = event.get("delta")
        if not isinstance(delta, str) or not delta:
            return
        block = self._find(event, event.get("item_id"), kind)
        if block.closed:
            return
        if kind == "text":
            self._refused |= event.get("type") == "response.refusal.delta"
            self._send(block, {"type": "text_delta", "text": delta}, out)
        elif kind == "thinking":
            part = event.get("summary_index", event.get("content_index"))
            if block.sent and part != block.part:
                delta = "\n\n" + delta  # a new summary part: keep the parts apart
            block.part = part
            self._send(block, {"type": "thinking_delta", "thinking": delta}, out)
        else:
            block.pending.append(delta)
            block.sent = True
            if kind == "tool_use" and block.index is not None:
                self._send_pending(block, out)

    def _item_done(self, event: dict[str, Any], out: list[dict[str, Any]]) -> None:
        item = _dict(event.get("item"))
        kind = _BLOCK_KINDS.get(str(item.get("type")))
        if kind is None:
            return
        block = self._find(event, item.get("id"), kind)
        if block.closed:
            return
        if kind == "thinking":
            self._thinking_done(block, item, out)
        elif kind == "text":
            text = _message_text(item)
            if not block.sent and text:
                self._send(block, {"type": "text_delta", "text": text}, out)
        else:
            self._name_tool(block, item)
            self._open(block, out)
            self._tool_done(block, item, out)
        self._close(block, out)

    def _thinking_done(
        self, block: _Block, item: dict[str, Any], out: list[dict[str, Any]]
    ) -> None:
        text = _reasoning_text(item)
        if not block.sent and text:
            self._send(block, {"type": "thinking_delta", "thinking": text}, out)
        signature = item.get("encrypted_content")
        if isinstance(signature, str) and signature:
            self._send(block, {"type": "signature_delta", "signature": signature}, out)

    def _tool_done(self, block: _Block, item: dict[str, Any], out: list[dict[str, Any]]) -> None:
        if block.kind == "custom":
            text = item.get("input")
            text = text if isinstance(text, str) else "".join(block.pending)
            block.pending = [orjson.dumps({"input": text}).decode()]
        elif not block.pending and not block.sent:
            arguments = item.get("arguments")
            block.pending = [arguments] if isinstance(arguments, str) and arguments else []
        self._send_pending(block, out)

    def _finish(self, event: dict[str, Any], out: list[dict[str, Any]]) -> None:
        for block in self._order:  # items that never got their output_item.done
            if block.kind in ("tool_use", "custom") and not block.closed:
                self._tool_done(block, {}, out)
            self._close(block, out)
        response = _dict(event.get("response"))
        if event.get("type") == "response.incomplete":
            response = {**response, "status": "incomplete"}
        stop_reason = _stop_reason(response, self._tool_used, self._refused)
        out.append(
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": encode_messages_usage(response.get("usage")),
            }
        )
        out.append({"type": "message_stop"})
        self._done = True

    def _fail(self, event: dict[str, Any], out: list[dict[str, Any]]) -> None:
        if event.get("type") == "error":
            error = _dict(event.get("error")) or event
        else:
            error = _dict(_dict(event.get("response")).get("error"))
        out.append(encode_messages_error(error))
        self._done = True

    def _name_tool(self, block: _Block, item: dict[str, Any]) -> None:
        block.call_id = block.call_id or str(item.get("call_id") or item.get("id") or "")
        block.name = block.name or str(item.get("name") or "")

    def _open(self, block: _Block, out: list[dict[str, Any]]) -> None:
        if block.index is not None or block.closed:
            return
        if block.kind in ("tool_use", "custom"):
            if not block.name:
                return  # wait for the item that names it
            self._tool_used = True
            content: dict[str, Any] = {
                "type": "tool_use",
                "id": block.call_id,
                "name": block.name,
                "input": {},
            }
        elif block.kind == "thinking":
            content = {"type": "thinking", "thinking": "", "signature": ""}
        else:
            content = {"type": "text", "text": ""}
        block.index, self._next_index = self._next_index, self._next_index + 1
        out.append({"type": "content_block_start", "index": block.index, "content_block": content})

    def _send(self, block: _Block, delta: dict[str, Any], out: list[dict[str, Any]]) -> None:
        self._open(block, out)
        block.sent = True
        out.append({"type": "content_block_delta", "index": block.index, "delta": delta})

    def _send_pending(self, block: _Block, out: list[dict[str, Any]]) -> None:
        if block.index is None or not block.pending:
            return
        partial = "".join(block.pending)
        block.pending = []
        delta = {"type": "input_json_delta", "partial_json": partial}
        out.append({"type": "content_block_delta", "index": block.index, "delta": delta})

    def _close(self, block: _Block, out: list[dict[str, Any]]) -> None:
        if block.closed:
            return
        block.closed = True
        if block.index is not None:
            out.append({"type": "content_block_stop", "index": block.index})


def encode_event(event: dict[str, Any]) -> bytes:
    """One Anthropic event on the wire: `event: <type>` and a `data:` line of JSON."""
    return encode_typed_event(event)


def encode_message(
    response: dict[str, Any], *, message_id: str, model: str | None = None
) -> dict[str, Any]:
    """A whole Responses response object → an Anthropic `message` object; `model` (the name
    the client asked for) defaults to the response's own."""
    content: list[dict[str, Any]] = []
    refused = False
    for item in response.get("output") or []:
        item = _dict(item)
        block = _item_block(item)
        if block is not None:
            content.append(block)
            refused |= item.get("type") == "message" and _has_refusal(item)
    tool_used = any(block["type"] == "tool_use" for block in content)
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model if model is not None else str(response.get("model") or ""),
        "content": content,
        "stop_reason": _stop_reason(response, tool_used, refused),
        "stop_sequence": None,
        "usage": encode_messages_usage(response.get("usage")),
    }


def _item_block(item: dict[str, Any]) -> dict[str, Any] | None:
    kind = item.get("type")
    if kind == "reasoning":
        text, signature = _reasoning_text(item), item.get("encrypted_content")
        signature = signature if isinstance(signature, str) else ""
        if not text and not signature:
            return None
        return {"type": "thinking", "thinking": text, "signature": signature}
    if kind == "message":
        text = _message_text(item)
        return {"type": "text", "text": text} if text else None
    if kind not in ("function_call", "custom_tool_call"):
        return None
    call_id = str(item.get("call_id") or item.get("id") or "")
    if kind == "custom_tool_call":
        arguments: object = {"input": str(item.get("input") or "")}
    else:
        arguments = _json_object(item.get("arguments"))
    return {
        "type": "tool_use",
        "id": call_id,
        "name": str(item.get("name") or ""),
        "input": arguments,
    }


def _reasoning_text(item: dict[str, Any]) -> str:
    """The summary parts, a blank line apart; the raw reasoning text when there is none."""
    for key in ("summary", "content"):
        texts = [str(_dict(part).get("text") or "") for part in item.get(key) or []]
        if any(texts):
            return "\n\n".join(text for text in texts if text)
    return ""


def _message_text(item: dict[str, Any]) -> str:
    texts = []
    for part in item.get("content") or []:
        part = _dict(part)
        value = part.get("text") if part.get("type") == "output_text" else part.get("refusal")
        texts.append(value if isinstance(value, str) else "")
    return "".join(texts)


def _has_refusal(item: dict[str, Any]) -> bool:
    return any(_dict(part).get("type") == "refusal" for part in item.get("content") or [])


def _stop_reason(response: dict[str, Any], tool_used: bool, refused: bool) -> str:
    if response.get("status") == "incomplete":
        reason = _dict(response.get("incomplete_details")).get("reason")
        if reason == "max_output_tokens":
            return "max_tokens"
        if reason == "content_filter":
            return "refusal"
    if tool_used:
        return "tool_use"
    return "refusal" if refused else "end_turn"


def _json_object(arguments: object) -> dict[str, Any]:
    """Tool arguments as an object; text that is not a JSON object gives {} (the client's
    own input check then tells the model what was wrong)."""
    if not isinstance(arguments, str) or not arguments.strip():
        return {}
    return json_object(arguments) or {}


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
