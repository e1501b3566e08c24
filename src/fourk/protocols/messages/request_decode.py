"""An inbound Anthropic Messages request (`POST /v1/messages`) → a hub (Responses) request.

Pure translation: a parsed JSON body in, a Responses request body out, plus the names of
what could not be carried. The `messages` become input items in `content_decode`. Choices
where the two APIs differ:

- `system` text blocks are joined with a blank line into `instructions`; `cache_control`
  is ignored everywhere (the hub has no cache hints).
- `thinking.budget_tokens` picks a reasoning effort: up to 4096 → low, up to 16384 →
  medium, more → high (Claude Code's "think" / "think hard" / "ultrathink" land on
  the three). `output_config.effort` wins when given; "xhigh" and "max" become "high".
- Server tools (`web_search_*`, `bash_*`, `computer_*`, ...) cannot run anywhere but at
  Anthropic, so they are dropped and named in `dropped` (their history blocks too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fourk.errors import InvalidRequest
from fourk.protocols.messages.content_decode import block_text, decode_messages

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
        "input": decode_messages(body.get("messages"), dropped),
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
        texts.append(block_text(block, f"system.{index}"))
    return "\n\n".join(text for text in texts if text)


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
