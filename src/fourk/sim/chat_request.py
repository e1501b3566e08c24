"""A Chat Completions request read into the Responses-shaped view personas use (pure).

system/developer messages become developer messages, user messages user messages, an
assistant message its `reasoning_content` (as a reasoning item), its text and one
`function_call` per tool call, and a `tool` message a `function_call_output`. Function
tools become Responses function tools; other tool types are left out.

Like OpenAI, the reader insists that an assistant's tool calls are each answered by a
`tool` message right after it, and that a `tool` message answers such a call.
"""

from __future__ import annotations

from collections.abc import Mapping

from fourk.errors import InvalidRequest
from fourk.sim.persona import content_text
from fourk.sim.request import (
    SimRequest,
    function_call_item,
    function_tool,
    message_item,
    optional_count,
    reasoning_item,
    require_list,
    require_model,
    tool_output_item,
)
from fourk.sim.responses_wire import JSONObject

ROLES = ("system", "developer", "user", "assistant", "tool")


def read_chat_request(body: Mapping[str, object]) -> SimRequest:
    """The view of a `POST /chat/completions` body; InvalidRequest when it is not valid."""
    model = require_model(body, "Missing required parameter: 'model'.")
    messages = require_list(body, "messages", "'messages' must be a non-empty array.")
    stream = body.get("stream") is True
    options = body.get("stream_options")
    if options is not None and not stream:
        message = "The 'stream_options' parameter is only allowed when 'stream' is enabled."
        raise InvalidRequest(message, param="stream_options")
    include_usage = stream and isinstance(options, Mapping) and options.get("include_usage") is True
    max_tokens = optional_count(body, "max_completion_tokens")
    if max_tokens is None:
        max_tokens = optional_count(body, "max_tokens")
    view = {"model": model, "input": _input_items(messages), "tools": _tools(body.get("tools"))}
    return SimRequest(
        body=view,
        model=model,
        stream=stream,
        include_usage=include_usage,
        max_tokens=max_tokens,
    )


def _input_items(messages: list[object]) -> list[JSONObject]:
    items: list[JSONObject] = []
    unanswered: list[str] = []
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, Mapping):
            raise InvalidRequest(f"{where} must be an object.", param=where)
        role = message.get("role")
        if role not in ROLES:
            known = ", ".join(ROLES)
            raise InvalidRequest(f"{where}.role must be one of {known}; got {role!r}.", param=where)
        if role == "tool":
            items.append(_tool_output(message, where, unanswered))
            continue
        _check_answered(unanswered, where)
        if role == "assistant":
            calls = _assistant_items(message, where)
            unanswered = [str(call["call_id"]) for call in calls if call["type"] == "function_call"]
            items.extend(calls)
        else:
            kind = "user" if role == "user" else "developer"
            items.append(message_item(kind, content_text(message.get("content"))))
    _check_answered(unanswered, "the end of 'messages'")
    return items


def _check_answered(unanswered: list[str], where: str) -> None:
    if unanswered:
        raise InvalidRequest(
            "An assistant message with 'tool_calls' must be followed by tool messages "
            f"responding to each 'tool_call_id'; before {where} these had none: "
            + ", ".join(unanswered),
            param="messages",
        )


def _tool_output(message: Mapping[str, object], where: str, unanswered: list[str]) -> JSONObject:
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str) or call_id not in unanswered:
        raise InvalidRequest(
            f"{where}: a message with role 'tool' must answer a tool call of the assistant "
            f"message before it; tool_call_id {call_id!r} is not one (or was answered already).",
            param=f"{where}.tool_call_id",
        )
    unanswered.remove(call_id)
    return tool_output_item(call_id, content_text(message.get("content")))


def _assistant_items(message: Mapping[str, object], where: str) -> list[JSONObject]:
    items: list[JSONObject] = []
    reasoning = message.get("reasoning_content")
    if isinstance(reasoning, str) and reasoning:
        items.append(reasoning_item(reasoning, None))
    text = content_text(message.get("content"))
    if text:
        items.append(message_item("assistant", text))
    calls = message.get("tool_calls") or []
    if not isinstance(calls, list):
        raise InvalidRequest(f"{where}.tool_calls must be an array.", param=f"{where}.tool_calls")
    for number, call in enumerate(calls):
        items.append(_tool_call(call, f"{where}.tool_calls[{number}]"))
    return items


def _tool_call(call: object, where: str) -> JSONObject:
    function = call.get("function") if isinstance(call, Mapping) else None
    call_id = call.get("id") if isinstance(call, Mapping) else None
    if not isinstance(function, Mapping) or not isinstance(call_id, str) or not call_id:
        raise InvalidRequest(
            f"{where} must be {{'id', 'type': 'function', 'function': {{'name', 'arguments'}}}}.",
            param=where,
        )
    name, arguments = function.get("name"), function.get("arguments")
    if not isinstance(name, str) or not isinstance(arguments, str):
        raise InvalidRequest(
            f"{where}.function needs a string 'name' and 'arguments' (a JSON string).",
            param=f"{where}.function",
        )
    return function_call_item(call_id, name, arguments)


def _tools(tools: object) -> list[JSONObject]:
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise InvalidRequest("'tools' must be an array.", param="tools")
    found = []
    for index, tool in enumerate(tools):
        if not isinstance(tool, Mapping) or tool.get("type") != "function":
            continue
        function = tool.get("function")
        name = function.get("name") if isinstance(function, Mapping) else None
        if not isinstance(function, Mapping) or not isinstance(name, str) or not name:
            where = f"tools[{index}].function.name"
            raise InvalidRequest(f"Missing required parameter: '{where}'.", param=where)
        found.append(function_tool(name, function.get("parameters")))
    return found
