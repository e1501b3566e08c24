"""An inbound Anthropic Messages request (`POST /v1/messages`) → a hub (Responses) request.

Pure translation: a parsed JSON body in, a Responses request body out, plus the names of
what could not be carried. Choices where the two APIs differ:

- `system` text blocks are joined with a blank line into `instructions`; `cache_control`
  is ignored everywhere (the hub has no cache hints).
- A `tool_result` with `is_error: true` becomes output text starting with "Error: ".
- `thinking.budget_tokens` picks a reasoning effort: up to 4096 → low, up to 16384 →
  medium, more → high (Claude Code's "think" / "think hard" / "ultrathink" land on
  the three). `output_config.effort` wins when given; "xhigh" and "max" become "high".
- A `thinking` block without a signature cannot be verified upstream and is skipped.
- Server tools (`web_search_*`, `bash_*`, `computer_*`, ...) and their blocks in the history
  cannot run anywhere but at Anthropic, so they are dropped and named in `dropped`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from fourk.errors import InvalidRequest

# Top-level fields that are translated; every other field present is named in `dropped`.
_CARRIED = frozenset(
    {
        "model",
        "max_tokens",
        "messages",
        "system",
        "tools",
        "tool_choice",
        "temperature",
        "top_p",
        "stream",
        "thinking",
        "output_config",
    }
)
_CHOICES = {"auto": "auto", "any": "required", "none": "none"}
_EFFORTS = {"low": "low", "medium": "medium", "high": "high", "xhigh": "high", "max": "high"}
_LOW_BUDGET = 4096
_MEDIUM_BUDGET = 16384


@dataclass(frozen=True, slots=True)
class DecodedMessages:
    """The Responses request body, and the names of request parts that were left out
    (top-level fields like `top_k`, `tools:<type>` for server tools, `content:<type>` for
    history blocks of server tools)."""

    body: dict[str, Any]
    dropped: tuple[str, ...]


def decode_messages_request(body: dict[str, Any]) -> DecodedMessages:
    """Check an Anthropic Messages body and translate it; raises InvalidRequest."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    dropped: list[str] = []
    out: dict[str, Any] = {
        "model": _model(body),
        "input": _decode_messages(body.get("messages"), dropped),
        "max_output_tokens": _max_tokens(body),
        "store": False,
    }
    instructions = _decode_system(body.get("system"))
    if instructions:
        out["instructions"] = instructions
    out.update(_decode_sampling(body))
    out.update(_decode_tools(body.get("tools"), body.get("tool_choice"), dropped))
    out.update(_decode_thinking(body.get("thinking"), body.get("output_config")))
    dropped.extend(k for k, v in body.items() if k not in _CARRIED and v is not None)
    return DecodedMessages(body=out, dropped=tuple(dict.fromkeys(dropped)))


def _model(body: dict[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("'model' is required and must be a model name.", param="model")
    return model


def _max_tokens(body: dict[str, Any]) -> int:
    value = body.get("max_tokens")
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidRequest(
            "'max_tokens' is required and must be a positive integer "
            "(the most tokens the reply may use).",
            param="max_tokens",
        )
    return value


def _decode_sampling(body: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("temperature", "top_p"):
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise InvalidRequest(f"'{name}' must be a number.", param=name)
        out[name] = value
    stream = body.get("stream")
    if stream is not None:
        if not isinstance(stream, bool):
            raise InvalidRequest("'stream' must be true or false.", param="stream")
        out["stream"] = stream
    return out


def _decode_system(system: object) -> str:
    if system is None or isinstance(system, str):
        return system or ""
    if not isinstance(system, list):
        raise InvalidRequest("'system' must be a string or a list of text blocks.", param="system")
    texts = []
    for index, block in enumerate(system):
        if not isinstance(block, dict) or block.get("type") != "text":
            raise InvalidRequest(
                f"system.{index} must be a text block: {{'type': 'text', 'text': ...}}.",
                param=f"system.{index}",
            )
        texts.append(_text(block, f"system.{index}"))
    return "\n\n".join(text for text in texts if text)


def _decode_messages(messages: object, dropped: list[str]) -> list[dict[str, Any]]:
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest(
            "'messages' is required and must be a non-empty list of "
            "{'role': 'user' | 'assistant', 'content': ...} objects.",
            param="messages",
        )
    items: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        where = f"messages.{index}"
        if not isinstance(message, dict):
            raise InvalidRequest(
                f"{where} must be an object with 'role' and 'content'.", param=where
            )
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise InvalidRequest(
                f"{where}.role must be 'user' or 'assistant', not {role!r}; "
                "put a system prompt in the top-level 'system' field.",
                param=f"{where}.role",
            )
        blocks = _blocks(message.get("content"), f"{where}.content")
        if role == "user":
            items.extend(_decode_user(blocks, f"{where}.content"))
        else:
            items.extend(_decode_assistant(blocks, f"{where}.content", dropped))
    return items


def _blocks(content: object, where: str) -> list[Any]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list):
        return content
    raise InvalidRequest(f"{where} must be a string or a list of content blocks.", param=where)


def _decode_user(blocks: list[Any], where: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for index, block in enumerate(blocks):
        at = f"{where}.{index}"
        kind = _block_type(block, at)
        if kind == "text":
            parts.append({"type": "input_text", "text": _text(block, at)})
        elif kind == "image":
            parts.append(_decode_image(block, at))
        elif kind == "tool_result":
            _flush(items, "user", parts)
            items.append(_decode_tool_result(block, at))
        else:
            raise InvalidRequest(
                f"{at}: content blocks of type {kind!r} are not supported here; "
                "send text, image (base64 or url) or tool_result blocks.",
                param=at,
            )
    _flush(items, "user", parts)
    return items


def _decode_assistant(blocks: list[Any], where: str, dropped: list[str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for index, block in enumerate(blocks):
        at = f"{where}.{index}"
        kind = _block_type(block, at)
        if kind == "text":
            parts.append({"type": "output_text", "text": _text(block, at)})
            continue
        _flush(items, "assistant", parts)
        if kind == "tool_use":
            items.append(_decode_tool_use(block, at))
        elif kind in ("thinking", "redacted_thinking"):
            items.extend(_decode_thinking_block(block, at))
        elif kind == "server_tool_use" or kind.endswith("_tool_result"):
            dropped.append(f"content:{kind}")
        else:
            raise InvalidRequest(
                f"{at}: assistant content blocks of type {kind!r} are not supported; "
                "send text, tool_use, thinking or redacted_thinking blocks.",
                param=at,
            )
    _flush(items, "assistant", parts)
    return items


def _flush(items: list[dict[str, Any]], role: str, parts: list[dict[str, Any]]) -> None:
    """Close a run of text/image parts into one message item, keeping the block order."""
    if parts:
        items.append({"type": "message", "role": role, "content": list(parts)})
        parts.clear()


def _block_type(block: object, at: str) -> str:
    return _block(block, at)[1]


def _block(block: object, at: str) -> tuple[dict[str, Any], str]:
    kind = block.get("type") if isinstance(block, dict) else None
    if not isinstance(block, dict) or not isinstance(kind, str):
        raise InvalidRequest(f"{at} must be a content block object with a 'type'.", param=at)
    return block, kind


def _text(block: dict[str, Any], at: str) -> str:
    text = block.get("text")
    if not isinstance(text, str):
        raise InvalidRequest(f"{at}.text must be a string.", param=f"{at}.text")
    return text


def _decode_image(block: dict[str, Any], at: str) -> dict[str, Any]:
    source = block.get("source")
    kind = source.get("type") if isinstance(source, dict) else None
    if isinstance(source, dict) and kind == "base64":
        media_type, data = source.get("media_type"), source.get("data")
        if isinstance(media_type, str) and isinstance(data, str):
            url = f"data:{media_type};base64,{data}"
            return {"type": "input_image", "image_url": url, "detail": "auto"}
    elif isinstance(source, dict) and kind == "url" and isinstance(source.get("url"), str):
        return {"type": "input_image", "image_url": source["url"], "detail": "auto"}
    raise InvalidRequest(
        f"{at}.source must be {{'type': 'base64', 'media_type': ..., 'data': ...}} or "
        f"{{'type': 'url', 'url': ...}} (got type {kind!r}); file ids are not supported.",
        param=f"{at}.source",
    )


def _decode_tool_result(block: dict[str, Any], at: str) -> dict[str, Any]:
    call_id = block.get("tool_use_id")
    if not isinstance(call_id, str) or not call_id:
        raise InvalidRequest(
            f"{at}.tool_use_id must be the id of the tool_use block it answers.",
            param=f"{at}.tool_use_id",
        )
    parts = [
        _tool_result_part(part, f"{at}.content.{index}")
        for index, part in enumerate(_blocks(block.get("content", ""), f"{at}.content"))
    ]
    failed = block.get("is_error") is True
    output: str | list[dict[str, Any]]
    if all(part["type"] == "input_text" for part in parts):
        output = "\n".join(part["text"] for part in parts)
        if failed:
            output = f"Error: {output}" if output else "Error"
    else:
        output = [{"type": "input_text", "text": "Error:"}, *parts] if failed else parts
    return {"type": "function_call_output", "call_id": call_id, "output": output}


def _tool_result_part(part: object, at: str) -> dict[str, Any]:
    block, kind = _block(part, at)
    if kind == "text":
        return {"type": "input_text", "text": _text(block, at)}
    if kind == "image":
        return _decode_image(block, at)
    raise InvalidRequest(
        f"{at}: tool_result content of type {kind!r} is not supported; send text or images.",
        param=at,
    )


def _decode_tool_use(block: dict[str, Any], at: str) -> dict[str, Any]:
    call_id, name, arguments = block.get("id"), block.get("name"), block.get("input", {})
    if not isinstance(call_id, str) or not isinstance(name, str) or not call_id or not name:
        raise InvalidRequest(f"{at}: a tool_use block needs a string 'id' and 'name'.", param=at)
    if not isinstance(arguments, dict):
        raise InvalidRequest(f"{at}.input must be a JSON object.", param=f"{at}.input")
    return {
        "type": "function_call",
        "call_id": call_id,
        "name": name,
        "arguments": orjson.dumps(arguments).decode(),
    }


def _decode_thinking_block(block: dict[str, Any], at: str) -> list[dict[str, Any]]:
    if block["type"] == "redacted_thinking":
        data = block.get("data")
        if not isinstance(data, str):
            raise InvalidRequest(f"{at}.data must be a string.", param=f"{at}.data")
        return [{"type": "reasoning", "summary": [], "encrypted_content": data}]
    text, signature = block.get("thinking", ""), block.get("signature")
    if not isinstance(text, str):
        raise InvalidRequest(f"{at}.thinking must be a string.", param=f"{at}.thinking")
    if not isinstance(signature, str) or not signature:
        return []
    summary = [{"type": "summary_text", "text": text}] if text else []
    return [{"type": "reasoning", "summary": summary, "encrypted_content": signature}]


def _decode_tools(tools: object, choice: object, dropped: list[str]) -> dict[str, Any]:
    if tools is None:
        tools = []
    if not isinstance(tools, list):
        raise InvalidRequest("'tools' must be a list of tool definitions.", param="tools")
    functions: list[dict[str, Any]] = []
    for index, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise InvalidRequest(f"tools.{index} must be an object.", param=f"tools.{index}")
        kind = tool.get("type")
        if kind is None or kind == "custom":
            functions.append(_decode_tool(tool, f"tools.{index}"))
        else:
            dropped.append(f"tools:{kind}")
    out: dict[str, Any] = {"tools": functions} if functions else {}
    if choice is not None:
        out.update(_decode_tool_choice(choice, {f["name"] for f in functions}, dropped))
    return out


def _decode_tool(tool: dict[str, Any], at: str) -> dict[str, Any]:
    name, schema = tool.get("name"), tool.get("input_schema")
    if not isinstance(name, str) or not name:
        raise InvalidRequest(f"{at}.name must be a non-empty string.", param=f"{at}.name")
    if not isinstance(schema, dict):
        raise InvalidRequest(
            f"{at}.input_schema must be a JSON Schema object (for example "
            "{'type': 'object', 'properties': {...}}).",
            param=f"{at}.input_schema",
        )
    out: dict[str, Any] = {"type": "function", "name": name}
    description = tool.get("description")
    if isinstance(description, str) and description:
        out["description"] = description
    out["parameters"] = schema
    out["strict"] = tool.get("strict") is True
    return out


def _decode_tool_choice(choice: object, names: set[str], dropped: list[str]) -> dict[str, Any]:
    kind = choice.get("type") if isinstance(choice, dict) else None
    if not isinstance(choice, dict) or kind not in (*_CHOICES, "tool"):
        raise InvalidRequest(
            "'tool_choice' must be {'type': 'auto' | 'any' | 'none'} or "
            "{'type': 'tool', 'name': ...}.",
            param="tool_choice",
        )
    if not names:  # only server tools, or none at all: nothing to choose from
        if kind in ("any", "tool"):
            dropped.append("tool_choice")
        return {}
    out: dict[str, Any] = {}
    if kind == "tool":
        name = choice.get("name")
        if name not in names:
            raise InvalidRequest(
                f"tool_choice names tool {name!r}, which is not one of the request's "
                f"tools ({', '.join(sorted(names))}).",
                param="tool_choice.name",
            )
        out["tool_choice"] = {"type": "function", "name": name}
    else:
        out["tool_choice"] = _CHOICES[kind]
    if choice.get("disable_parallel_tool_use") is True:
        out["parallel_tool_calls"] = False
    return out


def _decode_thinking(thinking: object, config: object) -> dict[str, Any]:
    out: dict[str, Any] = {}
    config = config if isinstance(config, dict) else {}
    effort = _EFFORTS.get(str(config.get("effort")))
    schema = config.get("format")
    if isinstance(schema, dict) and isinstance(schema.get("schema"), dict):
        out["text"] = {
            "format": {
                "type": "json_schema",
                "name": "output",
                "schema": schema["schema"],
                "strict": True,
            }
        }
    kind = thinking.get("type") if isinstance(thinking, dict) else None
    if thinking is None or kind == "disabled":
        if effort:
            out["reasoning"] = {"effort": effort}
        return out
    if not isinstance(thinking, dict) or kind not in ("enabled", "adaptive"):
        raise InvalidRequest(
            "'thinking' must be {'type': 'enabled', 'budget_tokens': N}, "
            "{'type': 'adaptive'} or {'type': 'disabled'}.",
            param="thinking",
        )
    reasoning: dict[str, Any] = {}
    if kind == "enabled":
        effort = effort or _effort_for_budget(thinking.get("budget_tokens"))
    if effort:
        reasoning["effort"] = effort
    if thinking.get("display") != "omitted":
        reasoning["summary"] = "auto"
    out["reasoning"] = reasoning
    out["include"] = ["reasoning.encrypted_content"]
    return out


def _effort_for_budget(budget: object) -> str:
    if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1:
        raise InvalidRequest(
            "thinking.budget_tokens must be a positive integer (at least 1024 for Claude).",
            param="thinking.budget_tokens",
        )
    if budget <= _LOW_BUDGET:
        return "low"
    return "medium" if budget <= _MEDIUM_BUDGET else "high"
