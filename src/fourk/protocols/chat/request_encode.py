"""A Responses request (what Codex sends) as a Chat Completions request (pure).

The conversation becomes `messages`: `instructions` first as a `system` message, then the
input items in order. A turn's tool calls (and the assistant text before them) become one
assistant message with `tool_calls`, followed at once by one `tool` message per call, as
Chat requires; a call without an output (Codex was interrupted) is answered with a
placeholder, an output without a call is dropped, and images a tool returned (Codex's
`view_image`) follow in one user message. Custom tools (`apply_patch`) and namespaced tools
travel as plain functions through `fourk.protocols.hub.tools`.

Channel options (the channel's JSON options; other keys are ignored):

- `developer_role`: `"system"` (default) or `"developer"`, the role `developer` messages
  get. Only OpenAI's own models know `developer`.
- `reasoning_back`: `false` (default) or `true`. When true, the reasoning text of earlier
  answers from a Chat channel (reasoning items whose `encrypted_content` carries our
  `fourk.chat.v1:` prefix) goes back as `reasoning_content` on the assistant message it
  preceded. DeepSeek's thinking mode requires it for turns with tool calls (it answers 400
  without); most other servers ignore it and some (old `deepseek-reasoner`) reject it.
  Reasoning items from other channels (a real OpenAI blob) are skipped either way.
- `max_tokens_field`: `"max_tokens"` (default) or `"max_completion_tokens"`, where
  `max_output_tokens` goes (OpenAI's reasoning models want the latter).
- `reasoning_effort`: `true` (default) sends `reasoning.effort` as `reasoning_effort`,
  with `minimal` sent as `low` and `xhigh` as `high` (the values most servers know) and
  `none` left out; `false` never sends it, for servers that reject the field.
- `extra_body`: an object merged into the request last (objects merge key by key; a `null`
  value removes the key, e.g. `{"stream_options": null}` for a server that rejects it).

What cannot be carried is named in `EncodedChat.dropped` (`tool:web_search`,
`item:compaction`, `param:service_tier`, ...) for the log. Codex's bookkeeping fields
(`store`, `include`, `prompt_cache_key`, `client_metadata`, `metadata`, item ids) are left
out silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from fourk.errors import InvalidRequest
from fourk.protocols.chat.stream_decode import decode_reasoning_blob
from fourk.protocols.hub.request import input_items
from fourk.protocols.hub.tools import (
    FlatTool,
    ToolSet,
    custom_arguments,
    flatten_tools,
    tool_choice_name,
    upstream_name,
)
from fourk.protocols.hub.values import as_mapping

INTERRUPTED_OUTPUT = "(no output: the call was interrupted)"
_EFFORTS = {"minimal": "low", "low": "low", "medium": "medium", "high": "high", "xhigh": "high"}
# top-level fields carried, or left out on purpose without a word; any other is named
_KNOWN = {"model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls"}
_KNOWN |= {"max_output_tokens", "temperature", "top_p", "reasoning", "text", "stream"}
_KNOWN |= {"store", "include", "prompt_cache_key", "client_metadata", "metadata", "user"}
_KNOWN |= {"truncation", "stream_options", "safety_identifier"}
_UNSUPPORTED_STATE = ("previous_response_id", "conversation")
_SCHEMA_FIELDS = ("name", "schema", "strict", "description")
_CALLS = ("function_call", "custom_tool_call")
_OUTPUTS = ("function_call_output", "custom_tool_call_output")


@dataclass(frozen=True, slots=True)
class ChatOptions:
    """A Chat channel's options (see the module docstring)."""

    developer_role: Literal["system", "developer"] = "system"
    reasoning_back: bool = False
    max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    reasoning_effort: bool = True
    extra_body: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EncodedChat:
    body: dict[str, Any]  # the Chat Completions request
    tools: ToolSet  # to map tool names back in the answer
    dropped: tuple[str, ...] = ()  # what could not be carried


def chat_options(options: Mapping[str, Any] | None) -> ChatOptions:
    """Read a channel's options; ValueError names a wrong one (check them when saved)."""
    options = options or {}
    role = options.get("developer_role", "system")
    field_name = options.get("max_tokens_field", "max_tokens")
    extra = options.get("extra_body") or {}
    if role not in ("system", "developer"):
        raise ValueError("channel option 'developer_role' must be 'system' or 'developer'")
    if field_name not in ("max_tokens", "max_completion_tokens"):
        raise ValueError(
            "channel option 'max_tokens_field' must be 'max_tokens' or 'max_completion_tokens'"
        )
    if not isinstance(extra, Mapping):
        raise ValueError("channel option 'extra_body' must be a JSON object")
    for name in ("reasoning_back", "reasoning_effort"):
        if not isinstance(options.get(name, True), bool):
            raise ValueError(f"channel option '{name}' must be true or false")
    return ChatOptions(
        developer_role=role,
        reasoning_back=options.get("reasoning_back", False),
        max_tokens_field=field_name,
        reasoning_effort=options.get("reasoning_effort", True),
        extra_body=extra,
    )


def encode_chat_request(
    body: dict[str, Any], *, model: str, options: Mapping[str, Any] | None = None
) -> EncodedChat:
    """The Chat Completions request for a Responses request, to `model` upstream."""
    opts = chat_options(options)
    for name in _UNSUPPORTED_STATE:
        if body.get(name):
            raise InvalidRequest(
                f"'{name}' is not supported for this model: its channel keeps no server-side "
                "state. Send the whole conversation in 'input'.",
                param=name,
            )
    tools = flatten_tools(body.get("tools"))
    dropped = [f"tool:{kind}" for kind in tools.dropped]
    chat: dict[str, Any] = {"model": model, "messages": _History(opts, dropped).encode(body)}
    _encode_tools(chat, body, tools, dropped)
    _encode_params(chat, body, opts, dropped)
    dropped += [f"param:{key}" for key in body if key not in _KNOWN and body[key] is not None]
    return EncodedChat(_merge(chat, opts.extra_body), tools, tuple(dropped))


# -- the conversation ----------------------------------------------------------------------


class _History:
    """Input items → Chat messages, one turn of tool calls at a time."""

    def __init__(self, opts: ChatOptions, dropped: list[str]) -> None:
        self._opts = opts
        self._dropped = dropped
        self._messages: list[dict[str, Any]] = []
        self._turn: dict[str, Any] | None = None  # the assistant message still open
        self._reasoning: list[str] = []  # reasoning waiting for its assistant message
        self._outputs: dict[str, Mapping[str, Any]] = {}  # by call id
        self._called: set[str] = set()  # call ids of every call in the input
        self._answered: set[str] = set()  # call ids already written

    def encode(self, body: Mapping[str, Any]) -> list[dict[str, Any]]:
        items = input_items(body)
        instructions = body.get("instructions")
        if isinstance(instructions, str) and instructions:
            self._messages.append({"role": "system", "content": instructions})
        for item in items:
            if isinstance(item, Mapping) and item.get("type") in _OUTPUTS:
                self._outputs.setdefault(str(item.get("call_id")), item)
            elif isinstance(item, Mapping) and item.get("type") in _CALLS:
                self._called.add(str(item.get("call_id")))
        for index, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise InvalidRequest(f"input[{index}] must be an object.", param=f"input[{index}]")
            self._item(index, item)
        self._close()
        return self._messages

    def _item(self, index: int, item: Mapping[str, Any]) -> None:
        kind = item.get("type", "message" if "role" in item else None)
        if kind == "message":
            self._message(index, item)
        elif kind in _CALLS:
            self._call(index, item)
        elif kind in _OUTPUTS:  # written with its call; ends that turn of calls
            self._close()
            if str(item.get("call_id")) not in self._called:
                self._dropped.append(f"item:{kind} (no matching call)")
        elif kind == "reasoning":
            text = decode_reasoning_blob(item.get("encrypted_content"))
            if text and self._opts.reasoning_back:
                self._reasoning.append(text)
        else:
            self._dropped.append(f"item:{kind}")

    def _message(self, index: int, item: Mapping[str, Any]) -> None:
        role = item.get("role")
        content = item.get("content")
        self._close()
        if role == "assistant":
            self._turn = {"role": "assistant", "content": _assistant_text(content)}
            self._take_reasoning()
        elif role == "user":
            self._reasoning = []  # reasoning not followed by an answer has nowhere to go
            self._messages.append({"role": "user", "content": self._user_content(content)})
        elif role in ("system", "developer"):
            self._reasoning = []
            chat_role = self._opts.developer_role if role == "developer" else "system"
            self._messages.append({"role": chat_role, "content": self._system_text(content)})
        else:
            raise InvalidRequest(
                f"input[{index}].role must be user, assistant, system or developer.",
                param=f"input[{index}].role",
            )

    def _call(self, index: int, item: Mapping[str, Any]) -> None:
        call_id = item.get("call_id")
        if not isinstance(call_id, str) or not call_id:
            raise InvalidRequest(
                f"input[{index}].call_id is required on a {item.get('type')} item.",
                param=f"input[{index}].call_id",
            )
        if call_id in self._answered:
            self._dropped.append(f"item:{item.get('type')} (repeated call_id)")
            return
        self._answered.add(call_id)
        if self._turn is None:
            self._turn = {"role": "assistant", "content": None}
        self._take_reasoning()
        name = str(item.get("name") or "")
        if item.get("type") == "custom_tool_call":
            arguments = orjson.dumps(custom_arguments(str(item.get("input") or ""))).decode()
            name = upstream_name(name)
        else:
            raw = item.get("arguments")
            arguments = raw if isinstance(raw, str) else orjson.dumps(raw or {}).decode()
            name = upstream_name(name, item.get("namespace") or None)
        function = {"name": name, "arguments": arguments}
        call = {"id": call_id, "type": "function", "function": function}
        self._turn.setdefault("tool_calls", []).append(call)

    def _take_reasoning(self) -> None:
        if self._reasoning and self._turn is not None:
            earlier = self._turn.get("reasoning_content")
            texts = [earlier, *self._reasoning] if earlier else self._reasoning
            self._turn["reasoning_content"] = "\n\n".join(texts)
            self._reasoning = []

    def _close(self) -> None:
        """Write the open assistant message and answer each of its tool calls."""
        turn, self._turn = self._turn, None
        if turn is None:
            return
        self._messages.append(turn)
        images: list[dict[str, Any]] = []
        for call in turn.get("tool_calls", ()):
            output = self._outputs.get(call["id"])
            text = INTERRUPTED_OUTPUT
            if output is not None:
                text, found = _output_content(output.get("output"))
                text = text or ("(an image, in the next message)" if found else "")
                images += found
            self._messages.append({"role": "tool", "tool_call_id": call["id"], "content": text})
        if images:
            note = {"type": "text", "text": "(images returned by the tool calls above)"}
            self._messages.append({"role": "user", "content": [note, *images]})

    def _user_content(self, content: object) -> str | list[dict[str, Any]]:
        if isinstance(content, str):
            return content
        parts: list[dict[str, Any]] = []
        for part in content if isinstance(content, list) else ():
            kind = as_mapping(part).get("type")
            image = _image(part) if kind == "input_image" else None
            if kind in ("input_text", "output_text", "text"):
                parts.append({"type": "text", "text": str(part.get("text") or "")})
            elif image is not None:
                parts.append(image)
            else:
                self._dropped.append(f"content:{kind}")
        if all(part["type"] == "text" for part in parts):
            return "\n\n".join(part["text"] for part in parts)
        return parts

    def _system_text(self, content: object) -> str:
        if isinstance(content, str):
            return content
        texts: list[str] = []
        for part in content if isinstance(content, list) else ():
            if isinstance(as_mapping(part).get("text"), str):
                texts.append(part["text"])
            else:
                self._dropped.append(f"content:{as_mapping(part).get('type')}")
        return "\n\n".join(texts)


def _assistant_text(content: object) -> str:
    if isinstance(content, str):
        return content
    texts = []
    for part in content if isinstance(content, list) else ():
        text = as_mapping(part).get("text") or as_mapping(part).get("refusal")
        if isinstance(text, str):
            texts.append(text)
    return "".join(texts)


def _output_content(output: object) -> tuple[str, list[dict[str, Any]]]:
    """A tool output as text for the tool message, and the images in it."""
    if isinstance(output, str):
        return output, []
    texts: list[str] = []
    images: list[dict[str, Any]] = []
    for part in output if isinstance(output, list) else ():
        image = _image(part) if as_mapping(part).get("type") == "input_image" else None
        if image is not None:
            images.append(image)
        elif isinstance(as_mapping(part).get("text"), str):
            texts.append(part["text"])
    return "\n".join(texts), images


def _image(part: object) -> dict[str, Any] | None:
    url = as_mapping(part).get("image_url")
    if not isinstance(url, str) or not url:
        return None  # a file_id image cannot be fetched by another server
    image: dict[str, Any] = {"url": url}
    detail = as_mapping(part).get("detail")
    if detail in ("low", "high", "auto"):
        image["detail"] = detail
    return {"type": "image_url", "image_url": image}


# -- tools and parameters ------------------------------------------------------------------


def _encode_tools(
    chat: dict[str, Any], body: Mapping[str, Any], tools: ToolSet, dropped: list[str]
) -> None:
    choice = body.get("tool_choice")
    forced = tool_choice_name(choice)
    if forced is not None and forced not in tools.names:
        raise InvalidRequest(
            f"'tool_choice' names the tool '{forced}', which is not among the function tools "
            "in 'tools'.",
            param="tool_choice",
        )
    if not tools.tools:
        return
    chat["tools"] = [_tool(tool) for tool in tools.tools]
    if forced is not None:
        chat["tool_choice"] = {"type": "function", "function": {"name": forced}}
    elif choice in ("auto", "none", "required"):
        chat["tool_choice"] = choice
    elif choice is not None:
        dropped.append("param:tool_choice")
    if isinstance(body.get("parallel_tool_calls"), bool):
        chat["parallel_tool_calls"] = body["parallel_tool_calls"]


def _tool(tool: FlatTool) -> dict[str, Any]:
    function: dict[str, Any] = {"name": tool.name, "description": tool.description}
    function["parameters"] = tool.parameters
    if tool.strict is not None:
        function["strict"] = tool.strict
    return {"type": "function", "function": function}


def _encode_params(
    chat: dict[str, Any], body: Mapping[str, Any], opts: ChatOptions, dropped: list[str]
) -> None:
    if body.get("max_output_tokens") is not None:
        chat[opts.max_tokens_field] = body["max_output_tokens"]
    for name in ("temperature", "top_p"):
        if body.get(name) is not None:
            chat[name] = body[name]
    effort = as_mapping(body.get("reasoning")).get("effort")
    if effort is not None:
        if opts.reasoning_effort and effort in _EFFORTS:
            chat["reasoning_effort"] = _EFFORTS[effort]
        else:
            dropped.append(f"param:reasoning.effort={effort}")
    text = as_mapping(body.get("text"))
    fmt = as_mapping(text.get("format"))
    if fmt.get("type") == "json_schema":
        schema = {key: fmt[key] for key in _SCHEMA_FIELDS if key in fmt}
        chat["response_format"] = {"type": "json_schema", "json_schema": schema}
    elif fmt.get("type") == "json_object":
        chat["response_format"] = {"type": "json_object"}
    if text.get("verbosity") is not None:
        dropped.append("param:text.verbosity")
    chat["stream"] = body.get("stream") is True
    if chat["stream"]:
        chat["stream_options"] = {"include_usage": True}


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """`extra` laid over `base`: objects merge, `None` removes a key."""
    for key, value in extra.items():
        if value is None:
            base.pop(key, None)
        elif isinstance(value, Mapping):
            inner = base.get(key)
            base[key] = _merge(dict(inner) if isinstance(inner, dict) else {}, value)
        else:
            base[key] = value
    return base
