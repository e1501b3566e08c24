"""Decoding an inbound Chat Completions request body into a hub (Responses) request body.

Pure: the body is already JSON-parsed; the result is a new dict in the OpenAI Responses
request shape, plus what the Chat client asked for that the hub has no place for.
Parameters a Responses upstream does not take (`stop`, `seed`, penalties, `logit_bias`,
`logprobs`, ...) are dropped and named in `DecodedChat.dropped` so the caller can log them;
features whose loss would change the answer the client expects (`n` > 1, audio) are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from fourk.errors import InvalidRequest

# Chat parameters with the same name and meaning in a Responses request: (name, type, wanted).
_SAME_NAME: tuple[tuple[str, type | tuple[type, ...], str], ...] = (
    ("temperature", (int, float), "a number"),
    ("top_p", (int, float), "a number"),
    ("parallel_tool_calls", bool, "true or false"),
    ("service_tier", str, "a string"),
    ("prompt_cache_key", str, "a string"),
    ("safety_identifier", str, "a string"),
    ("user", str, "a string"),
    ("metadata", dict, "an object of string keys and values"),
)
# Everything else this module reads; any other top-level key is dropped and listed.
_OTHER_READ = (
    "model messages stream stream_options store n max_tokens max_completion_tokens "
    "reasoning_effort verbosity response_format tools tool_choice functions function_call "
    "modalities audio web_search_options"
)
_CONSUMED = frozenset(_OTHER_READ.split()) | {name for name, _, _ in _SAME_NAME}


@dataclass(frozen=True, slots=True)
class DecodedChat:
    """A Responses request body, whether the client wants a usage chunk at the end of the
    stream (`stream_options.include_usage`), and the Chat parameters that were dropped."""

    body: dict[str, Any]
    include_usage: bool
    dropped: tuple[str, ...]


def decode_chat_request(body: dict[str, Any]) -> DecodedChat:
    """A Chat Completions request body → an equivalent Responses request body."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("Missing required parameter: 'model' (a model name).", param="model")
    stream = _optional(body, "stream", bool, "true or false") or False
    _refuse_unsupported(body)
    dropped: list[str] = []
    out: dict[str, Any] = {
        "model": model,
        "input": _decode_messages(body.get("messages"), dropped),
        "stream": stream,
        "store": False,
    }
    _copy_same_name(body, out)
    _decode_limits(body, out)
    _decode_text(body, out)
    effort = _optional(body, "reasoning_effort", str, "a string such as 'low' or 'high'")
    if effort is not None:
        out["reasoning"] = {"effort": effort}
    _decode_tools(body, out)
    if body.get("store") is True:
        dropped.append("store")
    dropped.extend(name for name in body if name not in _CONSUMED)
    include_usage = _include_usage(body, dropped)
    return DecodedChat(out, include_usage, tuple(dict.fromkeys(dropped)))


def _refuse_unsupported(body: dict[str, Any]) -> None:
    """Refuse what would change the answer the client expects, rather than drop it."""
    n = body.get("n")
    if n is not None and n != 1:
        raise InvalidRequest(
            "Only one choice per request is supported: remove 'n' or set it to 1, and send "
            "separate requests for more completions.",
            param="n",
        )
    modalities = body.get("modalities")
    if modalities is not None and modalities != ["text"]:
        raise InvalidRequest(
            "Only text output is supported: set 'modalities' to [\"text\"] or remove it.",
            param="modalities",
        )
    for name in ("audio", "web_search_options"):
        if body.get(name) is not None:
            raise InvalidRequest(f"'{name}' is not supported here; remove it.", param=name)


def _copy_same_name(body: dict[str, Any], out: dict[str, Any]) -> None:
    for name, kind, wanted in _SAME_NAME:
        value = _optional(body, name, kind, wanted)
        if value is not None:
            out[name] = value


def _decode_limits(body: dict[str, Any], out: dict[str, Any]) -> None:
    for name in ("max_completion_tokens", "max_tokens"):  # the newer name wins
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InvalidRequest(f"'{name}' must be a positive integer.", param=name)
        out["max_output_tokens"] = value
        return


def _decode_text(body: dict[str, Any], out: dict[str, Any]) -> None:
    text: dict[str, Any] = {}
    response_format = body.get("response_format")
    if response_format is not None:
        text["format"] = _decode_response_format(response_format)
    verbosity = _optional(body, "verbosity", str, "'low', 'medium' or 'high'")
    if verbosity is not None:
        text["verbosity"] = verbosity
    if text:
        out["text"] = text


def _decode_response_format(value: Any) -> dict[str, Any]:
    kind = value.get("type") if isinstance(value, dict) else None
    if kind in ("text", "json_object"):
        return {"type": kind}
    if kind != "json_schema":
        raise InvalidRequest(
            "'response_format.type' must be 'text', 'json_object' or 'json_schema'.",
            param="response_format.type",
        )
    spec = value.get("json_schema")
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise InvalidRequest(
            "'response_format.json_schema' must be an object with a 'name' and a 'schema'.",
            param="response_format.json_schema",
        )
    out: dict[str, Any] = {"type": "json_schema", "name": spec["name"]}
    for key in ("description", "schema", "strict"):
        if spec.get(key) is not None:
            out[key] = spec[key]
    return out


def _decode_tools(body: dict[str, Any], out: dict[str, Any]) -> None:
    tools, tools_param = body.get("tools"), "tools"
    if body.get("functions") is not None:
        if tools is not None:
            raise InvalidRequest(
                "Send either 'tools' or the legacy 'functions', not both.", param="functions"
            )
        functions = body["functions"]
        if not isinstance(functions, list):
            raise InvalidRequest("'functions' must be a list.", param="functions")
        tools = [{"type": "function", "function": f} for f in functions]
        tools_param = "functions"
    if tools is not None:
        if not isinstance(tools, list):
            raise InvalidRequest("'tools' must be a list of tools.", param="tools")
        out["tools"] = [_decode_tool(t, f"{tools_param}[{i}]") for i, t in enumerate(tools)]
    choice, choice_param = body.get("tool_choice"), "tool_choice"
    if body.get("function_call") is not None:
        if choice is not None:
            raise InvalidRequest(
                "Send either 'tool_choice' or the legacy 'function_call', not both.",
                param="function_call",
            )
        choice, choice_param = _legacy_choice(body["function_call"]), "function_call"
    if choice is not None:
        out["tool_choice"] = _decode_tool_choice(choice, choice_param)


def _decode_tool(tool: Any, param: str) -> dict[str, Any]:
    if not isinstance(tool, dict) or tool.get("type") != "function":
        raise InvalidRequest(
            f'\'{param}\' must be a function tool: {{"type": "function", "function": '
            '{"name": ..., "parameters": {...}}}. Other tool types are not supported.',
            param=param,
        )
    function = tool.get("function")
    function = function if isinstance(function, dict) else {}
    name = function.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidRequest(f"'{param}.function.name' is required.", param=f"{param}.function")
    parameters = function.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        raise InvalidRequest(
            f"'{param}.function.parameters' must be a JSON Schema object.",
            param=f"{param}.function.parameters",
        )
    out: dict[str, Any] = {"type": "function", "name": name}
    if isinstance(function.get("description"), str):
        out["description"] = function["description"]
    # Chat means "no arguments" by an absent schema and "not strict" by an absent flag;
    # Responses reads both absences the other way, so both are always written out.
    out["parameters"] = parameters or {"type": "object", "properties": {}}
    out["strict"] = function.get("strict") is True
    return out


def _legacy_choice(value: Any) -> Any:
    if isinstance(value, dict):
        return {"type": "function", "function": value}
    return value


def _decode_tool_choice(choice: Any, param: str) -> Any:
    if choice in ("auto", "none", "required"):
        return choice
    kind = choice.get("type") if isinstance(choice, dict) else None
    if kind == "function":
        function = choice.get("function")
        name = function.get("name") if isinstance(function, dict) else None
        if isinstance(name, str) and name:
            return {"type": "function", "name": name}
    if kind == "allowed_tools":
        allowed = choice.get("allowed_tools")
        if isinstance(allowed, dict) and isinstance(allowed.get("tools"), list):
            tools = [_decode_tool_choice(t, param) for t in allowed["tools"]]
            return {"type": "allowed_tools", "mode": allowed.get("mode", "auto"), "tools": tools}
    raise InvalidRequest(
        f"'{param}' must be 'auto', 'none', 'required' or "
        '{"type": "function", "function": {"name": ...}}.',
        param=param,
    )


def _include_usage(body: dict[str, Any], dropped: list[str]) -> bool:
    options = body.get("stream_options")
    if options is None:
        return False
    if not isinstance(options, dict):
        raise InvalidRequest("'stream_options' must be an object.", param="stream_options")
    dropped.extend(f"stream_options.{k}" for k in options if k != "include_usage")
    return options.get("include_usage") is True


def _optional(body: dict[str, Any], name: str, kind: type | tuple[type, ...], wanted: str) -> Any:
    """body[name] when it is absent, null or of the wanted type; else a 400 naming it."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise InvalidRequest(f"'{name}' must be {wanted}.", param=name)
    return value


# -- messages ---------------------------------------------------------------------------


def _decode_messages(messages: Any, dropped: list[str]) -> list[dict[str, Any]]:
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
