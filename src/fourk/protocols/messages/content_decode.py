"""The `messages` of an inbound Anthropic Messages request → hub (Responses) input items.

Pure. A user turn's text and image blocks become one user message item, split where a
`tool_result` block (a `function_call_output` item) stands between them, so the order of the
blocks is kept; an assistant turn's text blocks become assistant messages the same way
around its `tool_use` (`function_call`) and thinking (`reasoning`) blocks. Choices where the
two APIs differ:

- A `tool_result` with `is_error: true` becomes output text starting with "Error: ".
- A `thinking` block without a signature cannot be verified upstream and is skipped; a
  `redacted_thinking` block's data becomes the reasoning item's `encrypted_content`.
- Blocks of server tools (`server_tool_use`, `*_tool_result`) in the history cannot run
  anywhere but at Anthropic, so they are dropped and named in `dropped` as `content:<type>`.
"""

from __future__ import annotations

from typing import Any

import orjson

from fourk.errors import InvalidRequest


def decode_messages(messages: object, dropped: list[str]) -> list[dict[str, Any]]:
    """The input items for a request's `messages`, checked; raises InvalidRequest."""
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
            parts.append({"type": "input_text", "text": block_text(block, at)})
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
            parts.append({"type": "output_text", "text": block_text(block, at)})
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


def block_text(block: dict[str, Any], at: str) -> str:
    """A text block's `text`, checked to be a string."""
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
        return {"type": "input_text", "text": block_text(block, at)}
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
