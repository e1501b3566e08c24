"""Responses input items → Anthropic `system` blocks and user/assistant turns (pure).

What goes where:

- `instructions` and every `developer` / `system` message → the top-level `system` text
  blocks, in order. A developer message in the middle of the history goes there too
  (Anthropic has no mid-conversation system turn), so it moves to the front.
- `user` messages → user turns (`input_text` → text, `input_image` → image with a base64
  source for a data URL or a url source for http(s), `input_file` with a PDF data URL or a
  `file_url` → document); assistant `output_text` / `refusal` → text blocks.
- `function_call` / `custom_tool_call` → `tool_use` blocks in the current assistant turn
  (id = call_id, name via `upstream_name`; the input is the parsed JSON arguments, or
  `{"_raw": text}` when they are not a JSON object, or `{"input": text}` for a custom tool).
- `function_call_output` / `custom_tool_call_output` → `tool_result` blocks.
- `reasoning` items whose `encrypted_content` is our own blob (see `stream_decode`) →
  `thinking` / `redacted_thinking` blocks at the start of their assistant turn; any other
  reasoning (OpenAI's blobs, summaries alone) is dropped.

Anthropic's rules are then repaired rather than passed on as a 400: same-role content is
merged into one turn; the history starts with a user turn ("(continued)" when it did not)
and ends with one ("(continue)" after a trailing assistant turn, as newer models refuse
prefill); every `tool_use` gets its `tool_result` first in the next user turn (missing ones
say "(no output: the call was interrupted)"); a `tool_result` with no `tool_use` just
before it becomes text; an assistant turn of nothing but thinking is left out.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

import orjson

from fourk.errors import InvalidRequest
from fourk.protocols.hub.request import input_items
from fourk.protocols.hub.tools import custom_arguments, upstream_name
from fourk.protocols.hub.values import json_object
from fourk.protocols.messages.stream_decode import decode_thinking_blob

INTERRUPTED = "(no output: the call was interrupted)"
CONTINUED = "(continued)"
CONTINUE = "(continue)"
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
THINKING_TYPES = ("thinking", "redacted_thinking")
_DATA_URL = re.compile(r"^data:([^;,]*)((?:;[^;,]*)*),(.*)$", re.S)
_SAFE_ID = re.compile(r"^[a-zA-Z0-9_-]+$")
_TEXT_PARTS = ("input_text", "output_text", "text", "summary_text")

Block = dict[str, Any]


def encode_history(
    body: Mapping[str, Any], dropped: list[str]
) -> tuple[list[Block], list[dict[str, Any]]]:
    """The `system` blocks and the repaired `messages` for a Responses request's
    `instructions` and `input`; what has no Anthropic form is named in `dropped`."""
    history = _History(dropped)
    history.read(body)
    return history.system, _repair(history.turns)


# -- reading the items ---------------------------------------------------------------------


class _History:
    """System blocks and user/assistant turns, merged by role as items come."""

    def __init__(self, dropped: list[str]) -> None:
        self.system: list[Block] = []
        self.turns: list[tuple[str, list[Block]]] = []
        self.dropped = dropped

    def read(self, body: Mapping[str, Any]) -> None:
        instructions = body.get("instructions")
        if isinstance(instructions, str) and instructions.strip():
            self.system.append({"type": "text", "text": instructions})
        items = input_items(body)
        for index, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise InvalidRequest(f"input[{index}] must be an object.", param=f"input[{index}]")
            self._item(item, index)

    def add(self, role: str, blocks: list[Block]) -> None:
        if not blocks:
            return
        if self.turns and self.turns[-1][0] == role:
            self.turns[-1][1].extend(blocks)
        else:
            self.turns.append((role, list(blocks)))

    def _item(self, item: Mapping[str, Any], index: int) -> None:
        kind = item.get("type", "message" if "role" in item else "unknown")
        if kind == "message":
            self._message(item, index)
        elif kind in ("function_call", "custom_tool_call"):
            self.add("assistant", [_tool_use(item, index)])
        elif kind in ("function_call_output", "custom_tool_call_output"):
            self.add("user", [self._tool_result(item, index)])
        elif kind == "reasoning":
            self._reasoning(item)
        else:
            self.dropped.append(str(kind))

    def _message(self, item: Mapping[str, Any], index: int) -> None:
        role = item.get("role")
        where = f"input[{index}].content"
        if role in ("system", "developer"):
            for block in self._content(item, where):
                if block["type"] == "text":
                    self.system.append(block)
                else:
                    self.dropped.append(f"{block['type']} in a {role} message")
        elif role in ("user", "assistant"):
            self.add(str(role), self._content(item, where))
        else:
            raise InvalidRequest(
                f"input[{index}].role must be 'user', 'assistant', 'system' or 'developer', "
                f"not {role!r}.",
                param=f"input[{index}].role",
            )

    def _content(self, item: Mapping[str, Any], where: str) -> list[Block]:
        content = item.get("content")
        if isinstance(content, str):
            return _text(content)
        blocks: list[Block] = []
        for number, part in enumerate(content if isinstance(content, list) else []):
            if isinstance(part, Mapping):
                blocks += self._part(part, f"{where}[{number}]")
        return blocks

    def _part(self, part: Mapping[str, Any], where: str) -> list[Block]:
        kind = part.get("type")
        if kind in _TEXT_PARTS:
            return _text(part.get("text"))
        if kind == "refusal":
            return _text(part.get("refusal"))
        if kind == "input_image":
            return [_image(part, where)]
        if kind == "input_file" and (document := _document(part)) is not None:
            return [document]
        self.dropped.append(str(kind))
        return []

    def _tool_result(self, item: Mapping[str, Any], index: int) -> Block:
        block: Block = {"type": "tool_result", "tool_use_id": _call_id(item, index)}
        output = item.get("output")
        if isinstance(output, list):
            parts = [p for p in output if isinstance(p, Mapping)]
            where = f"input[{index}].output"
            content = [b for n, p in enumerate(parts) for b in self._part(p, f"{where}[{n}]")]
            content = [b for b in content if b["type"] in ("text", "image")]
        else:
            text = output if isinstance(output, str) else _json_text(output)
            content = _text(text)
        if content:
            single = len(content) == 1 and content[0]["type"] == "text"
            block["content"] = content[0]["text"] if single else content
        return block

    def _reasoning(self, item: Mapping[str, Any]) -> None:
        block = decode_thinking_blob(item.get("encrypted_content"))
        if block is None:
            self.dropped.append("reasoning")
            return
        if not self.turns or self.turns[-1][0] != "assistant":
            self.turns.append(("assistant", []))
        blocks = self.turns[-1][1]
        others = (n for n, b in enumerate(blocks) if b["type"] not in THINKING_TYPES)
        blocks.insert(next(others, len(blocks)), block)


def _text(value: object) -> list[Block]:
    """A text block, or none for empty text (Anthropic refuses blank text blocks)."""
    if isinstance(value, str) and value.strip():
        return [{"type": "text", "text": value}]
    return []


def _json_text(value: object) -> str:
    return "" if value is None else orjson.dumps(value).decode()


def _image(part: Mapping[str, Any], where: str) -> Block:
    url = part.get("image_url")
    if isinstance(url, Mapping):  # the Chat shape, sometimes sent to /responses too
        url = url.get("url")
    if not isinstance(url, str) or not url:
        raise InvalidRequest(
            f"{where}: this model takes images as 'image_url' (a data: or https: URL); "
            "'file_id' images are not supported.",
            param=where,
        )
    if url.startswith(("http://", "https://")):
        return {"type": "image", "source": {"type": "url", "url": url}}
    media, data = _data_url(url, where)
    media = "image/jpeg" if media == "image/jpg" else media
    if media not in IMAGE_TYPES:
        raise InvalidRequest(
            f"{where}: images must be JPEG, PNG, GIF or WebP, not {media or 'unknown'}.",
            param=where,
        )
    return {"type": "image", "source": {"type": "base64", "media_type": media, "data": data}}


def _document(part: Mapping[str, Any]) -> Block | None:
    """A PDF as a document block; None for files Anthropic cannot read this way."""
    url = part.get("file_url")
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        return {"type": "document", "source": {"type": "url", "url": url}}
    match = _DATA_URL.match(str(part.get("file_data") or ""))
    if match and match.group(1) == "application/pdf" and ";base64" in match.group(2):
        source = {"type": "base64", "media_type": "application/pdf", "data": match.group(3)}
        return {"type": "document", "source": source}
    return None


def _data_url(url: str, where: str) -> tuple[str, str]:
    match = _DATA_URL.match(url)
    if not match or ";base64" not in match.group(2):
        raise InvalidRequest(
            f"{where}: an image URL must be https: or a base64 data: URL.", param=where
        )
    return match.group(1), match.group(3)


def _call_id(item: Mapping[str, Any], index: int) -> str:
    """The call id as Anthropic accepts it (letters, digits, _ and -); the same call id
    always maps to the same tool id, so calls and results still pair up."""
    value = item.get("call_id")
    if not isinstance(value, str) or not value:
        raise InvalidRequest(f"input[{index}].call_id is required.", param=f"input[{index}]")
    if _SAFE_ID.match(value):
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()[:8]
    return re.sub(r"[^a-zA-Z0-9_-]", "_", value) + "_" + digest


def _tool_use(item: Mapping[str, Any], index: int) -> Block:
    name = str(item.get("name") or "")
    if item.get("type") == "custom_tool_call":
        arguments: dict[str, Any] = custom_arguments(str(item.get("input") or ""))
        name = upstream_name(name)
    else:
        arguments = _arguments(item.get("arguments"))
        name = upstream_name(name, item.get("namespace") or None)
    return {"type": "tool_use", "id": _call_id(item, index), "name": name, "input": arguments}


def _arguments(text: object) -> dict[str, Any]:
    """Parsed JSON arguments; anything but a JSON object is kept as `{"_raw": text}`."""
    if isinstance(text, Mapping):
        return dict(text)
    if not isinstance(text, str) or not text.strip():
        return {}
    parsed = json_object(text)
    return {"_raw": text} if parsed is None else parsed


# -- Anthropic's turn rules ----------------------------------------------------------------


def _repair(turns: list[tuple[str, list[Block]]]) -> list[dict[str, Any]]:
    """Alternating user/assistant messages, starting and ending with a user turn, every
    tool_use answered first thing in the next user turn."""
    kept: list[tuple[str, list[Block]]] = []
    for role, blocks in turns:
        if role == "assistant" and all(b["type"] in THINKING_TYPES for b in blocks):
            continue
        if kept and kept[-1][0] == role:
            kept[-1][1].extend(blocks)
        else:
            kept.append((role, list(blocks)))
    messages: list[dict[str, Any]] = []
    pending: list[str] = []  # tool_use ids of the assistant turn just before
    for role, blocks in kept:
        if role == "user":
            blocks = _answer(pending, blocks)
        pending = (
            [b["id"] for b in blocks if b["type"] == "tool_use"] if role == "assistant" else []
        )
        messages.append({"role": role, "content": blocks})
    if pending:
        messages.append({"role": "user", "content": _answer(pending, [])})
    if not messages or messages[0]["role"] != "user":
        messages.insert(0, {"role": "user", "content": [{"type": "text", "text": CONTINUED}]})
    if messages[-1]["role"] != "user":
        messages.append({"role": "user", "content": [{"type": "text", "text": CONTINUE}]})
    return messages


def _answer(pending: list[str], blocks: list[Block]) -> list[Block]:
    """A user turn's blocks with one tool_result per pending call first (in call order);
    results for no pending call (or a second one) become text."""
    results: dict[str, Block] = {}
    rest: list[Block] = []
    for block in blocks:
        call = block.get("tool_use_id") if block["type"] == "tool_result" else None
        if call is None:
            rest.append(block)
        elif call in pending and call not in results:
            results[call] = block
        else:
            rest += _orphan(block)
    answered = [
        results.get(call) or {"type": "tool_result", "tool_use_id": call, "content": INTERRUPTED}
        for call in dict.fromkeys(pending)
    ]
    return answered + rest


def _orphan(block: Block) -> list[Block]:
    header = f"Output of tool call {block['tool_use_id']}:"
    content = block.get("content", "")
    if isinstance(content, str):
        return [{"type": "text", "text": f"{header}\n{content}"}]
    return [{"type": "text", "text": header}, *content]
