"""Responses tools for upstreams that only know plain function tools (Chat, Anthropic).

Codex offers three kinds a function-only upstream cannot take as they are:

- `custom` tools (the freeform `apply_patch`): sent as a function taking one string,
  `{"input": "..."}`; a call comes back as a `custom_tool_call` with that string as `input`.
- `namespace` tools (`multi_agent_v1` with its functions): flattened to `NS__NAME`; a call
  comes back as a `function_call` with `namespace` and the plain name again.
- hosted tools the upstream cannot run (`web_search`, `tool_search`, `image_generation`,
  `local_shell`, ...): dropped, and named so the caller can log it.

The mapping is a pure function of the names, so history items in later requests (which may
not carry the tools again) map the same way.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

CUSTOM_INPUT = "input"
"""The one string property of the function a custom tool becomes."""

NAMESPACE_SEPARATOR = "__"
MAX_NAME = 64  # OpenAI Chat and Anthropic both limit tool names to 64 characters
_UNSAFE = re.compile(r"[^a-zA-Z0-9_-]")

ToolKind = Literal["function", "custom"]


@dataclass(frozen=True, slots=True)
class FlatTool:
    """A function tool as every protocol can describe it."""

    name: str  # the name the upstream sees
    description: str
    parameters: dict[str, Any]
    strict: bool | None = None


@dataclass(frozen=True, slots=True)
class ToolName:
    """What an upstream tool name stands for in the Responses request."""

    name: str
    namespace: str | None = None
    kind: ToolKind = "function"


@dataclass(frozen=True, slots=True)
class ToolSet:
    """The tools of one request, flattened, with the way back from upstream names."""

    tools: tuple[FlatTool, ...] = ()
    names: Mapping[str, ToolName] = field(default_factory=dict)
    dropped: tuple[str, ...] = ()  # tool types the upstream cannot run

    def resolve(self, upstream_name: str) -> ToolName:
        """The Responses tool behind a name the upstream called (itself if unknown)."""
        return self.names.get(upstream_name) or ToolName(upstream_name)


def upstream_name(name: str, namespace: str | None = None) -> str:
    """The function name an upstream sees for a (namespace, name) tool: safe characters,
    at most 64 of them (a long name keeps a digest so two never collide)."""
    full = f"{namespace}{NAMESPACE_SEPARATOR}{name}" if namespace else name
    safe = _UNSAFE.sub("_", full)
    if len(safe) <= MAX_NAME and safe == full:
        return safe
    digest = hashlib.sha256(full.encode()).hexdigest()[:8]
    return f"{safe[: MAX_NAME - 9]}_{digest}"


def flatten_tools(tools: object) -> ToolSet:
    """The request's `tools` for a function-only upstream."""
    if not isinstance(tools, Sequence) or isinstance(tools, str):
        return ToolSet()
    flat: list[FlatTool] = []
    names: dict[str, ToolName] = {}
    dropped: list[str] = []
    for tool in tools:
        if not isinstance(tool, Mapping):
            continue
        kind = tool.get("type")
        if kind == "function":
            _add(flat, names, _function(tool, None), ToolName(str(tool.get("name", ""))))
        elif kind == "custom":
            name = str(tool.get("name", ""))
            _add(flat, names, _custom(tool), ToolName(name, kind="custom"))
        elif kind == "namespace":
            namespace = str(tool.get("name", ""))
            for inner in tool.get("tools") or ():
                if isinstance(inner, Mapping) and inner.get("type", "function") == "function":
                    entry = ToolName(str(inner.get("name", "")), namespace)
                    _add(flat, names, _function(inner, namespace), entry)
        else:
            dropped.append(str(kind))
    return ToolSet(tuple(flat), names, tuple(dropped))


def _add(flat: list[FlatTool], names: dict[str, ToolName], tool: FlatTool, entry: ToolName) -> None:
    if tool.name and tool.name not in names:
        flat.append(tool)
        names[tool.name] = entry


def _function(tool: Mapping[str, Any], namespace: str | None) -> FlatTool:
    parameters = tool.get("parameters")
    strict = tool.get("strict")
    description = str(tool.get("description") or "")
    if namespace:
        description = f"({namespace}) {description}".strip()
    return FlatTool(
        name=upstream_name(str(tool.get("name", "")), namespace),
        description=description,
        parameters=dict(parameters)
        if isinstance(parameters, Mapping)
        else {"type": "object", "properties": {}},
        strict=strict if isinstance(strict, bool) else None,
    )


def _custom(tool: Mapping[str, Any]) -> FlatTool:
    """A freeform tool as a function of one string; its grammar goes into the description
    so the model still knows the format."""
    description = str(tool.get("description") or "")
    fmt = tool.get("format")
    if isinstance(fmt, Mapping) and isinstance(fmt.get("definition"), str):
        syntax = fmt.get("syntax") or "grammar"
        description += f"\n\nThe input must follow this {syntax} grammar:\n{fmt['definition']}"
    return FlatTool(
        name=upstream_name(str(tool.get("name", ""))),
        description=description.strip(),
        parameters={
            "type": "object",
            "properties": {
                CUSTOM_INPUT: {"type": "string", "description": "The raw input for the tool."}
            },
            "required": [CUSTOM_INPUT],
            "additionalProperties": False,
        },
    )


def custom_arguments(text: str) -> dict[str, str]:
    """The function arguments that carry a custom tool call's raw input."""
    return {CUSTOM_INPUT: text}


def custom_input(arguments: object) -> str:
    """A custom tool call's raw input from the function arguments an upstream sent
    (an object with `input`; anything else is passed on as it came)."""
    if isinstance(arguments, Mapping):
        value = arguments.get(CUSTOM_INPUT)
        if isinstance(value, str):
            return value
        if len(arguments) == 1:
            only = next(iter(arguments.values()))
            if isinstance(only, str):
                return only
    return arguments if isinstance(arguments, str) else ""


def tool_choice_name(choice: object) -> str | None:
    """The one tool a Responses `tool_choice` forces, as the upstream names it."""
    if not isinstance(choice, Mapping):
        return None
    if choice.get("type") in ("function", "custom") and isinstance(choice.get("name"), str):
        return upstream_name(choice["name"], choice.get("namespace") or None)
    return None
