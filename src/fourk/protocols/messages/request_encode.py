"""A Responses request (the hub) → an Anthropic Messages request (pure).

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
before it becomes text; an assistant turn of nothing but thinking is left out. A history with
tool calls but a request without tools gets stub tools (with `tool_choice: none`) because
Anthropic refuses tool blocks without tool definitions.

Parameters: `max_output_tokens` → `max_tokens` (required by Anthropic; default below);
`temperature` clamped to 0..1, `top_p` (only when no temperature: newer models refuse both);
`tool_choice` `auto`/`required`/`none`/forced → `auto`/`any`/`none`/`tool`;
`parallel_tool_calls: false` → `disable_parallel_tool_use`; `reasoning.effort` → thinking
(table below). With thinking on, `temperature` and `top_p` are dropped (Anthropic refuses
them) and thinking is left off when the request forces a tool or when the last tool-use
turn of the history has no thinking block (both are 400s upstream). Ignored on purpose:
`store`, `include`, `prompt_cache_key`, `client_metadata`, `text.verbosity`, `user`,
`metadata`, `service_tier`, `truncation`, `safety_identifier`, `background`. A JSON
`text.format` is listed in `dropped`. `previous_response_id` is refused.

Prompt caching: `cache_control: {"type": "ephemeral"}` on the last system block (or the last
tool when there is no system), on the last block of the history, and on the last block of
the user turn before it (where the previous request of the same Codex session ended, so it
is read back from the cache). Three of Anthropic's four breakpoints.

Options (`options`, from the channel's settings):

- `max_tokens` (int, default 8192): `max_tokens` when the request sets no `max_output_tokens`.
- `max_tokens_limit` (int): the model's output ceiling; larger values are lowered to it.
- `thinking` (bool, default true): false never turns thinking on.
- `thinking_mode` (`"budget"` default or `"adaptive"`): budget sends
  `{"type": "enabled", "budget_tokens": N}` with N from `thinking_budgets`; adaptive sends
  `{"type": "adaptive"}` and `output_config.effort` (for models that prefer it).
- `thinking_budgets` (mapping effort → tokens): merged over `THINKING_BUDGETS`.
- `default_effort` (str): the effort when the request names none (Codex without model
  metadata sends none).
- `prompt_cache` (bool, default true): false adds no `cache_control`.
- `extra_body` (mapping): merged into the body last, key by key; a null value removes a key.

The thinking budget must stay below `max_tokens`: with no `max_output_tokens`, `max_tokens`
is raised to budget + 4096; with an explicit one (a limit the client chose, which includes
thinking on both sides), the budget shrinks to leave 1024 tokens for the answer, and
thinking is left off when that leaves under 1024 for it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from fourk.errors import InvalidRequest
from fourk.protocols.hub.tools import (
    ToolSet,
    custom_arguments,
    flatten_tools,
    tool_choice_name,
    upstream_name,
)
from fourk.protocols.messages.stream_decode import decode_thinking_blob

DEFAULT_MAX_TOKENS = 8192
THINKING_BUDGETS: Mapping[str, int] = {"low": 2048, "medium": 8192, "high": 24576, "xhigh": 32768}
"""Effort → `budget_tokens`. `minimal` and `none` (and unknown efforts) mean no thinking."""
ADAPTIVE_EFFORTS = ("low", "medium", "high", "xhigh", "max")
MIN_BUDGET = 1024  # Anthropic's smallest budget_tokens; also what is kept for the answer
THINKING_HEADROOM = 4096
INTERRUPTED = "(no output: the call was interrupted)"
CONTINUED = "(continued)"
CONTINUE = "(continue)"
CACHE = {"type": "ephemeral"}
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
_DATA_URL = re.compile(r"^data:([^;,]*)((?:;[^;,]*)*),(.*)$", re.S)
_SAFE_ID = re.compile(r"^[a-zA-Z0-9_-]+$")
_TEXT_PARTS = ("input_text", "output_text", "text", "summary_text")
_THINKING = ("thinking", "redacted_thinking")

Block = dict[str, Any]


@dataclass(frozen=True, slots=True)
class EncodedMessages:
    body: dict[str, Any]  # the Anthropic request
    tools: ToolSet  # to map tool names back when the answer comes
    dropped: tuple[str, ...] = ()  # what the upstream cannot take, for the log


def encode_messages_request(
    body: dict[str, Any], *, model: str, options: Mapping[str, Any] | None = None
) -> EncodedMessages:
    """The Anthropic request for a Responses request, with the upstream's `model` name."""
    opts = options or {}
    if body.get("previous_response_id"):
        raise InvalidRequest(
            "'previous_response_id' is not supported for this model; send the whole "
            "conversation in 'input'.",
            param="previous_response_id",
        )
    tools = flatten_tools(body.get("tools"))
    history = _History(list(tools.dropped))
    history.read(body)
    messages = _repair(history.turns)
    out: dict[str, Any] = {"model": model, "max_tokens": DEFAULT_MAX_TOKENS}
    if history.system:
        out["system"] = history.system
    out["messages"] = messages
    out.update(_tools(tools, body, messages))
    _sampling(out, body, opts, history.dropped)
    out["stream"] = body.get("stream") is True
    if _fmt := _json_format(body):
        history.dropped.append(_fmt)
    if opts.get("prompt_cache", True) is not False:
        _cache(out)
    extra = opts.get("extra_body")
    for key, value in extra.items() if isinstance(extra, Mapping) else ():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return EncodedMessages(out, tools, tuple(dict.fromkeys(history.dropped)))


# -- the history ---------------------------------------------------------------------------


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
        items = body.get("input")
        if isinstance(items, str):
            items = [{"type": "message", "role": "user", "content": items}]
        if not isinstance(items, list):
            raise InvalidRequest("'input' must be a string or a list of items.", param="input")
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
        at = next((n for n, b in enumerate(blocks) if b["type"] not in _THINKING), len(blocks))
        blocks.insert(at, block)


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
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {"_raw": text}
    return parsed if isinstance(parsed, dict) else {"_raw": text}


# -- Anthropic's turn rules ----------------------------------------------------------------


def _repair(turns: list[tuple[str, list[Block]]]) -> list[dict[str, Any]]:
    """Alternating user/assistant messages, starting and ending with a user turn, every
    tool_use answered first thing in the next user turn."""
    kept: list[tuple[str, list[Block]]] = []
    for role, blocks in turns:
        if role == "assistant" and all(b["type"] in _THINKING for b in blocks):
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


# -- tools and parameters ------------------------------------------------------------------


def _tools(tools: ToolSet, body: Mapping[str, Any], messages: list[Any]) -> dict[str, Any]:
    specs: list[Block] = []
    for tool in tools.tools:
        schema = dict(tool.parameters)
        schema.setdefault("type", "object")
        spec: Block = {"name": tool.name}
        if tool.description:
            spec["description"] = tool.description
        spec["input_schema"] = schema
        specs.append(spec)
    if not specs:
        used = [b["name"] for m in messages for b in m["content"] if b["type"] == "tool_use"]
        stubs = [_stub(name) for name in dict.fromkeys(used)]
        return {"tools": stubs, "tool_choice": {"type": "none"}} if stubs else {}
    out: dict[str, Any] = {"tools": specs}
    choice = _tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls"))
    if choice is not None:
        out["tool_choice"] = choice
    return out


def _stub(name: str) -> Block:
    description = "No longer offered; called earlier in this conversation."
    schema = {"type": "object", "properties": {}}
    return {"name": name, "description": description, "input_schema": schema}


def _tool_choice(choice: object, parallel: object) -> dict[str, Any] | None:
    if choice == "none":
        return {"type": "none"}
    forced = tool_choice_name(choice)
    if forced is not None:
        out: dict[str, Any] = {"type": "tool", "name": forced}
    elif choice == "required":
        out = {"type": "any"}
    elif choice is None and parallel is not False:
        return None
    else:
        out = {"type": "auto"}  # auto, allowed_tools, hosted tools
    if parallel is False:
        out["disable_parallel_tool_use"] = True
    return out


def _sampling(
    out: dict[str, Any], body: Mapping[str, Any], opts: Mapping[str, Any], dropped: list[str]
) -> None:
    """`max_tokens`, thinking, temperature and top_p, which constrain each other."""
    explicit = body.get("max_output_tokens")
    if explicit is not None and (type(explicit) is not int or explicit < 1):
        raise InvalidRequest(
            "'max_output_tokens' must be a positive integer.", param="max_output_tokens"
        )
    effort = _effort(body, opts)
    mode = opts.get("thinking_mode", "budget")
    if effort and out.get("tool_choice", {}).get("type") in ("any", "tool"):
        dropped.append("thinking (a forced tool call)")
        effort = None
    if effort and _last_loop_unthought(out["messages"]):
        dropped.append("thinking (the last tool call was made without thinking)")
        effort = None
    budget = _budget(effort, opts) if mode != "adaptive" else None
    default = _int_option(opts, "max_tokens", DEFAULT_MAX_TOKENS)
    max_tokens = explicit or max(default, budget + THINKING_HEADROOM if budget else 0)
    limit = _int_option(opts, "max_tokens_limit", 0)
    out["max_tokens"] = min(max_tokens, limit) if limit > 0 else max_tokens
    if budget:
        budget = min(budget, out["max_tokens"] - MIN_BUDGET)
        if budget >= MIN_BUDGET:
            out["thinking"] = {"type": "enabled", "budget_tokens": budget}
    elif effort and mode == "adaptive" and effort in ADAPTIVE_EFFORTS:
        out["thinking"] = {"type": "adaptive"}
        out["output_config"] = {"effort": effort}
    _temperature(out, body, dropped)


def _effort(body: Mapping[str, Any], opts: Mapping[str, Any]) -> str | None:
    if opts.get("thinking", True) is False:
        return None
    reasoning = body.get("reasoning")
    effort = reasoning.get("effort") if isinstance(reasoning, Mapping) else None
    effort = effort or opts.get("default_effort")
    return effort if isinstance(effort, str) and effort not in ("none", "minimal") else None


def _budget(effort: str | None, opts: Mapping[str, Any]) -> int | None:
    if effort is None:
        return None
    table = dict(THINKING_BUDGETS)
    custom = opts.get("thinking_budgets")
    if isinstance(custom, Mapping):
        table.update({str(k): v for k, v in custom.items() if isinstance(v, int)})
    return table.get(effort)


def _int_option(opts: Mapping[str, Any], name: str, default: int) -> int:
    value = opts.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _last_loop_unthought(messages: list[dict[str, Any]]) -> bool:
    """The history ends in tool results for an assistant turn that did not begin with
    thinking: Anthropic refuses thinking then, as it cannot have happened before the call."""
    if len(messages) < 2:
        return False
    results = any(b["type"] == "tool_result" for b in messages[-1]["content"])
    first = messages[-2]["content"][0] if messages[-2]["content"] else {}
    return results and first.get("type") not in _THINKING


def _temperature(out: dict[str, Any], body: Mapping[str, Any], dropped: list[str]) -> None:
    temperature, top_p = body.get("temperature"), body.get("top_p")
    numbers = (int, float)
    if "thinking" in out:
        dropped += [n for n, v in (("temperature", temperature), ("top_p", top_p)) if v is not None]
    elif isinstance(temperature, numbers) and not isinstance(temperature, bool):
        out["temperature"] = min(1.0, max(0.0, float(temperature)))
    elif isinstance(top_p, numbers) and not isinstance(top_p, bool):
        out["top_p"] = min(1.0, max(0.0, float(top_p)))


def _json_format(body: Mapping[str, Any]) -> str | None:
    text = body.get("text")
    fmt = text.get("format") if isinstance(text, Mapping) else None
    kind = fmt.get("type") if isinstance(fmt, Mapping) else None
    return f"text.format:{kind}" if kind in ("json_schema", "json_object") else None


def _cache(out: dict[str, Any]) -> None:
    """Breakpoints where a Codex session's next request will find its prefix again."""
    if out.get("system"):
        out["system"][-1]["cache_control"] = dict(CACHE)
    elif out.get("tools"):
        out["tools"][-1]["cache_control"] = dict(CACHE)
    messages = out["messages"]
    users = [m for m in messages if m["role"] == "user"]
    for message in users[-2:]:
        content = message["content"]
        if isinstance(content, list) and content:
            content[-1]["cache_control"] = dict(CACHE)
