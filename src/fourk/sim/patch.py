"""The `patch: PATH TEXT` script: a call to whichever apply_patch tool the request offers.

A real model reads the tool list: Codex's freeform `custom` apply_patch tool takes the patch
as raw text, a `function` apply_patch tool takes a JSON object whose one required string
property holds it. With no apply_patch tool on offer, the model can only say so. (Pure.)
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import orjson

from fourk.sim.ids import IdFactory
from fourk.sim.items import CustomToolCall, FunctionCall, OutputItem, TextMessage

PATCH_TOOL = "apply_patch"
NO_PATCH_TOOL = "I cannot apply the patch: this request offers no apply_patch tool."
DEFAULT_FIELD = "input"

_PATCH = re.compile(r"^patch:(.*)", re.MULTILINE)


def patch_script(text: str) -> tuple[str, str] | None:
    """(PATH, TEXT) from the first `patch: PATH TEXT` line of the text, or None.

    PATH is the first word after `patch:`, TEXT the rest of that line (stripped).
    """
    match = _PATCH.search(text)
    if match is None:
        return None
    words = match.group(1).strip().split(maxsplit=1)
    if not words:
        return None
    return words[0], words[1] if len(words) > 1 else ""


def add_file_patch(path: str, line: str) -> str:
    """A Codex apply_patch text that adds file `path` holding the one line `line`."""
    return f"*** Begin Patch\n*** Add File: {path}\n+{line}\n*** End Patch\n"


def patch_call(tools: object, path: str, line: str, new_id: IdFactory) -> OutputItem:
    """The apply_patch call for the tools offered (Responses-shaped `tools`), or a refusal."""
    tool = find_patch_tool(tools)
    if tool is None:
        return TextMessage(NO_PATCH_TOOL)
    patch = add_file_patch(path, line)
    if tool.get("type") == "custom":
        return CustomToolCall(name=PATCH_TOOL, input=patch, call_id=new_id("call"))
    arguments = orjson.dumps({patch_field(tool.get("parameters")): patch}).decode()
    return FunctionCall(name=PATCH_TOOL, arguments=arguments, call_id=new_id("call"))


def find_patch_tool(tools: object) -> Mapping[str, object] | None:
    """The first `custom` or `function` tool named apply_patch, or None."""
    if not isinstance(tools, list):
        return None
    for tool in tools:
        if (
            isinstance(tool, Mapping)
            and tool.get("name") == PATCH_TOOL
            and tool.get("type") in ("custom", "function")
        ):
            return tool
    return None


def patch_field(schema: object) -> str:
    """The property a function-style apply_patch takes the patch in.

    The first required string property; else the first string property; else "input".
    """
    if not isinstance(schema, Mapping):
        return DEFAULT_FIELD
    properties = schema.get("properties")
    required = schema.get("required")
    if not isinstance(properties, Mapping):
        return DEFAULT_FIELD
    strings = [
        str(name)
        for name, spec in properties.items()
        if isinstance(spec, Mapping) and spec.get("type") == "string"
    ]
    needed = [name for name in strings if isinstance(required, list) and name in required]
    candidates = needed or strings
    return candidates[0] if candidates else DEFAULT_FIELD
