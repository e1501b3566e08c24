"""Writing a Responses event stream from another protocol's pieces (pure, explicit state).

An upstream decoder (Chat chunks, Anthropic events) reads its wire and tells the builder what
came: reasoning text, answer text, the start and argument pieces of a tool call, the end with
usage, or a failure. The builder emits the whole event sequence Codex expects: one
`response.created`, `output_item.added` / `done` around every item, the text, reasoning and
argument deltas, and exactly one terminal event carrying every output item and the usage.
Feeding a whole (non-streamed) answer through it gives the same final response object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from fourk.billing.usage import Usage
from fourk.protocols.hub.tools import ToolSet, custom_input

Event = dict[str, Any]


@dataclass(slots=True)
class _Item:
    index: int
    item: dict[str, Any]
    text: list[str] = field(default_factory=list)  # text, summary or arguments so far
    done: bool = False


@dataclass(slots=True)
class ResponsesBuilder:
    """One response under construction. `model` is the name the client asked for."""

    response_id: str
    model: str
    created_at: int
    tools: ToolSet = field(default_factory=ToolSet)
    terminal: Event | None = None  # the last event, once written
    usage: Usage | None = None
    _started: bool = False
    _sequence: int = 0
    _items: list[_Item] = field(default_factory=list)
    _open: _Item | None = None  # the text or reasoning item being written
    _calls: dict[str | int, _Item] = field(default_factory=dict)  # open tool calls by key

    @property
    def done(self) -> bool:
        return self.terminal is not None

    @property
    def has_tool_calls(self) -> bool:
        return any(i.item["type"] not in ("message", "reasoning") for i in self._items)

    def start(self) -> list[Event]:
        """`response.created` (and `in_progress`); written once, before anything else."""
        if self._started:
            return []
        self._started = True
        snapshot = self._response("in_progress")
        return [
            self._event("response.created", response=snapshot),
            self._event("response.in_progress", response=snapshot),
        ]

    def text(self, delta: str) -> list[Event]:
        """A piece of the answer's text."""
        if not delta:
            return []
        events = self._ensure_open("message")
        item = self._open
        assert item is not None
        item.text.append(delta)
        event = self._delta("response.output_text.delta", item, delta, content_index=0)
        event["logprobs"] = []
        events.append(event)
        return events

    def reasoning(self, delta: str) -> list[Event]:
        """A piece of the model's visible reasoning (a summary part on the Responses side)."""
        if not delta:
            return []
        events = self._ensure_open("reasoning")
        item = self._open
        assert item is not None
        item.text.append(delta)
        events.append(
            self._delta("response.reasoning_summary_text.delta", item, delta, summary_index=0)
        )
        return events

    def reasoning_blob(self, encrypted_content: str) -> list[Event]:
        """The opaque reasoning state to send back later (a signature, say)."""
        events = self._ensure_open("reasoning")
        assert self._open is not None
        self._open.item["encrypted_content"] = encrypted_content
        return events

    def end_block(self) -> list[Event]:
        """Close the text or reasoning item being written (a block boundary upstream)."""
        item, self._open = self._open, None
        return self._close(item) if item is not None else []

    def tool_call(self, key: str | int, call_id: str, name: str) -> list[Event]:
        """A tool call begins; `name` is as the upstream called it (mapped back here)."""
        events = self.start() + self.end_block()
        tool = self.tools.resolve(name)
        if tool.kind == "custom":
            item: dict[str, Any] = {"type": "custom_tool_call", "status": "in_progress"}
            item.update(call_id=call_id, name=tool.name, input="")
            prefix = "ctc"
        else:
            item = {"type": "function_call", "status": "in_progress", "arguments": ""}
            item.update(call_id=call_id, name=tool.name)
            if tool.namespace:
                item["namespace"] = tool.namespace
            prefix = "fc"
        entry = self._add(item, prefix)
        self._calls[key] = entry
        events.append(self._event("response.output_item.added", **self._placed(entry)))
        return events

    def tool_arguments(self, key: str | int, delta: str) -> list[Event]:
        """A piece of a tool call's arguments (JSON text). A custom tool's raw input is sent
        whole when the call ends, as it is only known once its JSON wrapper is complete."""
        entry = self._calls.get(key)
        if entry is None or not delta:
            return []
        entry.text.append(delta)
        if entry.item["type"] == "custom_tool_call":
            return []
        return [self._delta("response.function_call_arguments.delta", entry, delta)]

    def end_tool_call(self, key: str | int) -> list[Event]:
        entry = self._calls.pop(key, None)
        return self._close(entry) if entry is not None else []

    def complete(self, usage: Usage | None, incomplete: str | None = None) -> list[Event]:
        """Close every item and end with `response.completed`, or `response.incomplete`
        with its reason (e.g. `max_output_tokens`)."""
        if self.terminal is not None:
            return []
        events = self.start() + self._close_all()
        self.usage = usage
        status = "incomplete" if incomplete else "completed"
        response = self._response(status)
        if incomplete:
            response["incomplete_details"] = {"reason": incomplete}
        self.terminal = self._event(f"response.{status}", response=response)
        return [*events, self.terminal]

    def fail(self, code: str, message: str, usage: Usage | None = None) -> list[Event]:
        """End with `response.failed` (Codex reads `code` to decide whether to retry)."""
        if self.terminal is not None:
            return []
        events = self.start() + self._close_all()
        self.usage = usage
        response = self._response("failed")
        response["error"] = {"code": code, "message": message}
        self.terminal = self._event("response.failed", response=response)
        return [*events, self.terminal]

    def output(self) -> list[dict[str, Any]]:
        return [entry.item for entry in self._items if entry.done]

    # -- items -----------------------------------------------------------------------------

    def _ensure_open(self, kind: str) -> list[Event]:
        events = self.start()
        if self._open is not None and self._open.item["type"] == kind:
            return events
        events += self.end_block()
        if kind == "message":
            item: dict[str, Any] = {"type": "message", "status": "in_progress"}
            item.update(role="assistant", content=[])
            entry = self._add(item, "msg")
            part = {"type": "output_text", "text": "", "annotations": []}
            events.append(self._event("response.output_item.added", **self._placed(entry)))
            events.append(self._part("response.content_part.added", entry, part))
        else:
            entry = self._add({"type": "reasoning", "summary": []}, "rs")
            events.append(self._event("response.output_item.added", **self._placed(entry)))
            part = {"type": "summary_text", "text": ""}
            events.append(self._part("response.reasoning_summary_part.added", entry, part))
        self._open = entry
        return events

    def _add(self, item: dict[str, Any], prefix: str) -> _Item:
        index = len(self._items)
        item["id"] = f"{prefix}_{self.response_id.removeprefix('resp_')}_{index}"
        entry = _Item(index, item)
        self._items.append(entry)
        return entry

    def _close(self, entry: _Item) -> list[Event]:
        if entry.done:
            return []
        entry.done = True
        text = "".join(entry.text)
        item = entry.item
        events: list[Event] = []
        kind = item["type"]
        if kind == "message":
            part = {"type": "output_text", "text": text, "annotations": []}
            events.append(self._delta("response.output_text.done", entry, None, content_index=0))
            events[-1].update(text=text, logprobs=[])
            events.append(self._part("response.content_part.done", entry, part))
            item["content"] = [part]
        elif kind == "reasoning":
            part = {"type": "summary_text", "text": text}
            done = self._delta("response.reasoning_summary_text.done", entry, None, summary_index=0)
            done["text"] = text
            events += [done, self._part("response.reasoning_summary_part.done", entry, part)]
            item["summary"] = [part] if text else []
        elif kind == "custom_tool_call":
            item["input"] = custom_input(_json_or_text(text))
            if item["input"]:
                events.append(
                    self._delta("response.custom_tool_call_input.delta", entry, item["input"])
                )
            done = self._delta("response.custom_tool_call_input.done", entry, None)
            done["input"] = item["input"]
            events.append(done)
        else:
            item["arguments"] = text or "{}"
            done = self._delta("response.function_call_arguments.done", entry, None)
            done["arguments"] = item["arguments"]
            events.append(done)
        if kind != "reasoning":
            item["status"] = "completed"
        events.append(self._event("response.output_item.done", **self._placed(entry)))
        return events

    def _close_all(self) -> list[Event]:
        events = self.end_block()
        for key in list(self._calls):
            events += self.end_tool_call(key)
        return events

    # -- events ----------------------------------------------------------------------------

    def _event(self, kind: str, **fields: Any) -> Event:
        event = {"type": kind, "sequence_number": self._sequence, **fields}
        self._sequence += 1
        return event

    def _placed(self, entry: _Item) -> dict[str, Any]:
        return {"output_index": entry.index, "item": dict(entry.item)}

    def _part(self, kind: str, entry: _Item, part: dict[str, Any]) -> Event:
        index = "summary_index" if kind.startswith("response.reasoning") else "content_index"
        return self._event(
            kind, item_id=entry.item["id"], output_index=entry.index, part=part, **{index: 0}
        )

    def _delta(self, kind: str, entry: _Item, delta: str | None, **extra: int) -> Event:
        event = self._event(kind, item_id=entry.item["id"], output_index=entry.index, **extra)
        if delta is not None:
            event["delta"] = delta
        return event

    def _response(self, status: str) -> dict[str, Any]:
        return {
            "id": self.response_id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "model": self.model,
            "output": self.output() if status != "in_progress" else [],
            "usage": encode_usage(self.usage) if status != "in_progress" else None,
            "error": None,
            "incomplete_details": None,
            "tools": [],
            "tool_choice": "auto",
            "parallel_tool_calls": True,
        }


def encode_usage(usage: Usage | None) -> dict[str, Any] | None:
    """Usage in the Responses shape (input includes cached tokens, output reasoning)."""
    if usage is None:
        return None
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {
            "cached_tokens": usage.cached_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
        },
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.total_tokens,
    }


def _json_or_text(text: str) -> object:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
