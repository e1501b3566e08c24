"""An Anthropic Messages request read into the Responses-shaped view personas use (pure).

`system` becomes a developer message; user text blocks user messages and `tool_result`
blocks `function_call_output` items; assistant `text` blocks assistant messages, `thinking`
blocks reasoning items and `tool_use` blocks `function_call` items. Client tools (`name`
with `input_schema`) become Responses function tools; server tools are left out.

As Anthropic does, the reader requires `max_tokens`, wants every `tool_use` answered by a
`tool_result` in the next message (and no other `tool_result`), and checks that a thinking
block sent back carries the signature the simulator gave that thinking.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson

from fourk.errors import InvalidRequest
from fourk.sim.persona import content_text, reasoning_blob
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

Block = Mapping[str, object]


def read_anthropic_request(body: Mapping[str, object]) -> SimRequest:
    """The view of a `POST /v1/messages` body; InvalidRequest when it is not valid."""
    model = require_model(body, "model: Field required")
    max_tokens = optional_count(body, "max_tokens")
    if max_tokens is None:
        raise InvalidRequest("max_tokens: Field required", param="max_tokens")
    messages = require_list(body, "messages", "messages: must be a non-empty list")
    items = [*_system_items(body.get("system")), *_input_items(messages)]
    view = {"model": model, "input": items, "tools": _tools(body.get("tools"))}
    return SimRequest(
        body=view, model=model, stream=body.get("stream") is True, max_tokens=max_tokens
    )


def _system_items(system: object) -> list[JSONObject]:
    if system is None:
        return []
    if not isinstance(system, str | list):
        raise InvalidRequest("system: must be a string or a list of text blocks", param="system")
    return [message_item("developer", content_text(system))]


def _input_items(messages: list[object]) -> list[JSONObject]:
    items: list[JSONObject] = []
    unanswered: list[str] = []
    for index, message in enumerate(messages):
        where = f"messages.{index}"
        role, blocks = _message(message, where)
        if role == "user":
            items.extend(_user_items(blocks, where, unanswered))
        _check_answered(unanswered, index - 1)
        if role == "assistant":
            said = _assistant_items(blocks, where)
            unanswered = [str(i["call_id"]) for i in said if i["type"] == "function_call"]
            items.extend(said)
    _check_answered(unanswered, len(messages) - 1)
    return items


def _message(message: object, where: str) -> tuple[str, list[Block]]:
    if not isinstance(message, Mapping):
        raise InvalidRequest(f"{where}: must be an object", param=where)
    role = message.get("role")
    if role not in ("user", "assistant"):
        raise InvalidRequest(
            f"{where}.role: Input should be 'user' or 'assistant' (got {role!r})",
            param=f"{where}.role",
        )
    content = message.get("content")
    if isinstance(content, str):
        return str(role), [{"type": "text", "text": content}]
    if not isinstance(content, list):
        raise InvalidRequest(
            f"{where}.content: must be a string or a list of blocks", param=f"{where}.content"
        )
    for number, block in enumerate(content):
        if not isinstance(block, Mapping) or not isinstance(block.get("type"), str):
            place = f"{where}.content.{number}"
            raise InvalidRequest(f"{place}: a content block needs a 'type'", param=place)
    return str(role), content


def _check_answered(unanswered: list[str], asked_at: int) -> None:
    if unanswered:
        raise InvalidRequest(
            f"messages.{asked_at}: `tool_use` ids were found without `tool_result` blocks "
            f"immediately after: {', '.join(unanswered)}. Each `tool_use` block must have a "
            "corresponding `tool_result` block in the next message.",
            param="messages",
        )


def _user_items(blocks: list[Block], where: str, unanswered: list[str]) -> list[JSONObject]:
    """Each text block is a user message of its own (Anthropic merges what a client said in
    a row into one turn; the persona answers the newest); each tool_result answers one
    tool_use."""
    items: list[JSONObject] = []
    for number, block in enumerate(blocks):
        if block["type"] == "text":
            items.append(message_item("user", content_text([block])))
        elif block["type"] == "tool_result":
            items.append(_tool_result(block, f"{where}.content.{number}", unanswered))
    return items


def _tool_result(block: Block, where: str, unanswered: list[str]) -> JSONObject:
    call_id = block.get("tool_use_id")
    if not isinstance(call_id, str) or call_id not in unanswered:
        raise InvalidRequest(
            f"{where}: unexpected `tool_use_id` found in `tool_result` blocks: {call_id}. "
            "Each `tool_result` block must have a corresponding `tool_use` block in the "
            "previous message.",
            param=where,
        )
    unanswered.remove(call_id)
    return tool_output_item(call_id, content_text(block.get("content")))


def _assistant_items(blocks: list[Block], where: str) -> list[JSONObject]:
    found = [_assistant_item(block, f"{where}.content.{n}") for n, block in enumerate(blocks)]
    return [item for item in found if item is not None]


def _assistant_item(block: Block, where: str) -> JSONObject | None:
    match block["type"]:
        case "text":
            return message_item("assistant", content_text([block]))
        case "thinking":
            return _thinking(block, where)
        case "tool_use":
            return _tool_use(block, where)
        case _:
            return None  # redacted_thinking, server tool blocks: opaque to the persona


def _thinking(block: Block, where: str) -> JSONObject:
    thinking, signature = block.get("thinking"), block.get("signature")
    if not isinstance(thinking, str) or not isinstance(signature, str) or not signature:
        raise InvalidRequest(
            f"{where}: a thinking block needs string 'thinking' and 'signature' fields",
            param=f"{where}.signature",
        )
    if signature != reasoning_blob(thinking):
        raise InvalidRequest(f"{where}: Invalid `signature` in `thinking` block", param=where)
    return reasoning_item(thinking, signature)


def _tool_use(block: Block, where: str) -> JSONObject:
    call_id, name, arguments = block.get("id"), block.get("name"), block.get("input")
    if (
        not isinstance(call_id, str)
        or not isinstance(name, str)
        or not isinstance(arguments, Mapping)
    ):
        raise InvalidRequest(
            f"{where}: a tool_use block needs string 'id' and 'name' and an object 'input'",
            param=where,
        )
    return function_call_item(call_id, name, orjson.dumps(dict(arguments)).decode())


def _tools(tools: object) -> list[JSONObject]:
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise InvalidRequest("tools: must be a list", param="tools")
    found = []
    for index, tool in enumerate(tools):
        if not isinstance(tool, Mapping) or tool.get("type", "custom") != "custom":
            continue  # a server tool (web search, code execution, ...)
        name = tool.get("name")
        if not isinstance(name, str) or not name:
            raise InvalidRequest(f"tools.{index}.name: Field required", param=f"tools.{index}")
        found.append(function_tool(name, tool.get("input_schema")))
    return found
