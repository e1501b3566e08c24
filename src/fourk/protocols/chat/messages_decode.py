"""The `messages` of an inbound Chat Completions request → hub (Responses) input items.

Pure. Each role maps to its items: `system` / `developer` / `user` messages to message items
(user content parts to `input_text`, `input_image` and `input_file`), an assistant message to
its reasoning (`reasoning_content`), its text and refusal, and one `function_call` per tool
call; `tool` messages and legacy `function` messages to `function_call_output` items. A
legacy `function_call` gets a call id made from its position, which the `function` message
answering it (found by name, in order) takes too.
"""

from __future__ import annotations

from typing import Any

import orjson

from fourk.errors import InvalidRequest


def decode_messages(messages: Any, dropped: list[str]) -> list[dict[str, Any]]:
    """The input items for a request's `messages`; `messages[].name` is named in `dropped`."""
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("'messages' must be a non-empty list of messages.", param="messages")
    items: list[dict[str, Any]] = []
    legacy: dict[str, list[str]] = {}  # legacy function name → call ids not yet answered
    for i, message in enumerate(messages):
        param = f"messages[{i}]"
        role = message.get("role") if isinstance(message, dict) else None
        if role in ("system", "developer"):
            texts = _texts(message.get("content"), f"{param}.content")
            items.append(_message(role, [{"type": "input_text", "text": t} for t in texts]))
        elif role == "user":
            items.append(_message("user", _user_parts(message.get("content"), param)))
        elif role == "assistant":
            items.extend(_assistant_items(message, param, legacy))
        elif role == "tool":
            items.append(_tool_output(message, param))
        elif role == "function":
            items.append(_function_output(message, param, legacy))
        else:
            raise InvalidRequest(
                f"'{param}.role' must be one of system, developer, user, assistant, tool; "
                f"got {role!r}.",
                param=f"{param}.role",
            )
        if message.get("name") is not None and role != "function":
            dropped.append("messages[].name")
    return items


def _message(role: str, content: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "message", "role": role, "content": content}


def _texts(content: Any, param: str) -> list[str]:
    """A content that may only hold text: a string or a list of text parts."""
    if isinstance(content, str):
        return [content]
    if isinstance(content, list):
        texts = [
            p.get("text") if isinstance(p, dict) and p.get("type") == "text" else None
            for p in content
        ]
        if all(isinstance(t, str) for t in texts):
            return [t for t in texts if isinstance(t, str)]
    raise InvalidRequest(
        f'\'{param}\' must be a string or a list of {{"type": "text", "text": ...}} parts.',
        param=param,
    )


def _user_parts(content: Any, param: str) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "input_text", "text": content}]
    if not isinstance(content, list):
        raise InvalidRequest(
            f"'{param}.content' must be a string or a list of content parts.",
            param=f"{param}.content",
        )
    return [_user_part(part, f"{param}.content[{j}]") for j, part in enumerate(content)]


def _user_part(part: Any, param: str) -> dict[str, Any]:
    kind = part.get("type") if isinstance(part, dict) else None
    if kind == "text" and isinstance(part.get("text"), str):
        return {"type": "input_text", "text": part["text"]}
    if kind == "image_url":
        image = part.get("image_url")
        image = {"url": image} if isinstance(image, str) else image
        if isinstance(image, dict) and isinstance(image.get("url"), str):
            detail = image.get("detail") or "auto"
            return {"type": "input_image", "image_url": image["url"], "detail": detail}
    if kind == "file":
        file = part.get("file")
        if isinstance(file, dict) and (file.get("file_id") or file.get("file_data")):
            keys = ("file_id", "file_data", "filename")
            return {"type": "input_file", **{k: file[k] for k in keys if file.get(k)}}
    if kind == "input_audio":
        raise InvalidRequest(f"Audio input ('{param}') is not supported here.", param=param)
    raise InvalidRequest(
        f'\'{param}\' is not a valid content part: use {{"type": "text", "text": ...}}, '
        '{"type": "image_url", "image_url": {"url": ...}} or '
        '{"type": "file", "file": {"file_id" or "file_data": ...}}.',
        param=param,
    )


def _assistant_items(
    message: dict[str, Any], param: str, legacy: dict[str, list[str]]
) -> list[dict[str, Any]]:
    if message.get("audio") is not None:
        raise InvalidRequest(
            f"Assistant audio ('{param}.audio') is not supported here; send its transcript "
            "as 'content' instead.",
            param=f"{param}.audio",
        )
    items: list[dict[str, Any]] = []
    reasoning = message.get("reasoning_content")
    if isinstance(reasoning, str) and reasoning:
        items.append(
            {"type": "reasoning", "summary": [{"type": "summary_text", "text": reasoning}]}
        )
    parts = _assistant_parts(message.get("content"), f"{param}.content")
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal and not any(p["type"] == "refusal" for p in parts):
        parts.append({"type": "refusal", "refusal": refusal})
    if parts:
        items.append(_message("assistant", parts))
    calls = message.get("tool_calls")
    calls = [] if calls is None else calls
    if not isinstance(calls, list):
        raise InvalidRequest(f"'{param}.tool_calls' must be a list.", param=f"{param}.tool_calls")
    items.extend(_function_call(c, f"{param}.tool_calls[{j}]") for j, c in enumerate(calls))
    if message.get("function_call") is not None:
        call_id = f"call_{param.replace('[', '_').rstrip(']')}"  # stable: from the position
        call = {"id": call_id, "type": "function", "function": message["function_call"]}
        item = _function_call(call, f"{param}.function_call")
        legacy.setdefault(item["name"], []).append(call_id)
        items.append(item)
    return items


def _assistant_parts(content: Any, param: str) -> list[dict[str, Any]]:
    if content is None or content == "":
        return []
    if isinstance(content, str):
        return [{"type": "output_text", "text": content, "annotations": []}]
    if isinstance(content, list):
        parts = []
        for part in content:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text" and isinstance(part.get("text"), str):
                parts.append({"type": "output_text", "text": part["text"], "annotations": []})
            elif kind == "refusal" and isinstance(part.get("refusal"), str):
                parts.append({"type": "refusal", "refusal": part["refusal"]})
            else:
                break
        else:
            return parts
    raise InvalidRequest(
        f"'{param}' must be a string, null, or a list of text and refusal parts.", param=param
    )


def _function_call(call: Any, param: str) -> dict[str, Any]:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or call.get("type", "function") != "function":
        raise InvalidRequest(
            f'\'{param}\' must be {{"id": ..., "type": "function", "function": '
            '{"name": ..., "arguments": "<JSON text>"}}.',
            param=param,
        )
    call_id, name = call.get("id"), function.get("name")
    if not isinstance(call_id, str) or not call_id:
        raise InvalidRequest(f"'{param}.id' is required.", param=f"{param}.id")
    if not isinstance(name, str) or not name:
        raise InvalidRequest(f"'{param}.function.name' is required.", param=f"{param}.function")
    arguments = function.get("arguments", "")
    if isinstance(arguments, dict):  # some clients echo the parsed object back
        arguments = orjson.dumps(arguments).decode()
    if not isinstance(arguments, str):
        raise InvalidRequest(
            f"'{param}.function.arguments' must be a string of JSON.",
            param=f"{param}.function.arguments",
        )
    return {"type": "function_call", "call_id": call_id, "name": name, "arguments": arguments}


def _tool_output(message: dict[str, Any], param: str) -> dict[str, Any]:
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str) or not call_id:
        raise InvalidRequest(
            f"'{param}.tool_call_id' is required: the id of the assistant tool call this "
            "message answers.",
            param=f"{param}.tool_call_id",
        )
    output = "".join(_texts(message.get("content"), f"{param}.content"))
    return {"type": "function_call_output", "call_id": call_id, "output": output}


def _function_output(
    message: dict[str, Any], param: str, legacy: dict[str, list[str]]
) -> dict[str, Any]:
    name = message.get("name")
    pending = legacy.get(name) if isinstance(name, str) else None
    if not pending:
        raise InvalidRequest(
            f"'{param}' is a legacy 'function' message for {name!r}, but no earlier assistant "
            "message has a 'function_call' with that name to answer. Use 'tool' messages "
            "with 'tool_call_id' instead.",
            param=f"{param}.name",
        )
    content = message.get("content")
    output = "" if content is None else "".join(_texts(content, f"{param}.content"))
    return {"type": "function_call_output", "call_id": pending.pop(0), "output": output}
