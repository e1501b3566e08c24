"""Decoding an inbound Chat Completions request body into a hub (Responses) request body.

Pure: the body is already JSON-parsed; the result is a new dict in the OpenAI Responses
request shape, plus what the Chat client asked for that the hub has no place for.
Parameters a Responses upstream does not take (`stop`, `seed`, penalties, `logit_bias`,
`logprobs`, ...) are dropped and named in `DecodedChat.dropped` so the caller can log them;
features whose loss would change the answer the client expects (`n` > 1, audio) are refused.
The `messages` become input items in `messages_decode`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fourk.errors import InvalidRequest
from fourk.protocols.chat.messages_decode import decode_messages

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
        "input": decode_messages(body.get("messages"), dropped),
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
