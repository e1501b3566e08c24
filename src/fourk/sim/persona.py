"""Personas: what the simulated model says to a request (pure).

A persona reads the decoded OpenAI Responses request body and returns protocol-neutral
output items. It never sees the wire format of the answer, so the same persona can later
speak Chat Completions or Anthropic Messages through another encoder.

The default persona, "echo", drives a Codex turn end to end:

- last input item `compaction_trigger` → one `Compaction` (simulated remote compaction);
- last input item a tool output → "Command finished. Output: <output>";
- last user text containing `run: CMD` → an `exec_command` call with `{"cmd": CMD}`;
- anything else → "You said: <first 200 characters>".
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence

import orjson

from fourk.sim.ids import IdFactory
from fourk.sim.items import Compaction, FunctionCall, OutputItem, Reasoning, TextMessage

Persona = Callable[[Mapping[str, object], IdFactory], list[OutputItem]]
"""Request body and an id factory in, output items out."""

ECHO_LIMIT = 200
"""How many characters of the user's text the echo repeats."""

TOOL_OUTPUT_LIMIT = 2000
"""How many characters of a tool's output the reply quotes."""

PERSONA_NAMES = ("echo", "reasoner")

_RUN = re.compile(r"\brun:(.*)")
_TOOL_OUTPUTS = frozenset({"function_call_output", "custom_tool_call_output"})


def echo_persona(body: Mapping[str, object], new_id: IdFactory) -> list[OutputItem]:
    """The default persona; see the module docstring."""
    items = input_items(body)
    last = items[-1] if items else None
    if isinstance(last, Mapping):
        kind = last.get("type")
        if kind == "compaction_trigger":
            return [Compaction(encrypted_content=compaction_blob(items[:-1]))]
        if kind in _TOOL_OUTPUTS:
            output = content_text(last.get("output")).strip()[:TOOL_OUTPUT_LIMIT]
            return [TextMessage(f"Command finished. Output: {output}")]
    text = last_user_text(body)
    command = run_command(text)
    if command:
        arguments = orjson.dumps({"cmd": command}).decode()
        return [FunctionCall(name="exec_command", arguments=arguments, call_id=new_id("call"))]
    if not text:
        return [TextMessage("You said nothing.")]
    return [TextMessage(f"You said: {text[:ECHO_LIMIT]}")]


def reasoner_persona(body: Mapping[str, object], new_id: IdFactory) -> list[OutputItem]:
    """The echo persona, preceded by a reasoning item (for reasoning-token paths)."""
    answer = echo_persona(body, new_id)
    if answer and isinstance(answer[0], Compaction):
        return answer
    topic = last_user_text(body)[:60] or "the request"
    summary = f"Thinking about {topic}."
    blob = "sim-rs-" + base64.urlsafe_b64encode(summary.encode()).decode()
    return [Reasoning(summary=summary, encrypted_content=blob), *answer]


def persona_named(name: str) -> Persona:
    """The persona called `name`; ValueError for an unknown name."""
    if name == "echo":
        return echo_persona
    if name == "reasoner":
        return reasoner_persona
    raise ValueError(f"unknown sim persona {name!r}; known: {', '.join(PERSONA_NAMES)}")


def input_items(body: Mapping[str, object]) -> Sequence[object]:
    """The request's `input` as a list of items (a plain string becomes one user message)."""
    value = body.get("input")
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    if isinstance(value, list):
        return value
    return []


def last_user_text(body: Mapping[str, object]) -> str:
    """The text of the last user message in `input`, or "" when there is none."""
    for item in reversed(input_items(body)):
        if not isinstance(item, Mapping) or item.get("role") != "user":
            continue
        if item.get("type", "message") == "message":
            return content_text(item.get("content"))
    return ""


def content_text(content: object) -> str:
    """Text of a message content or tool output: a string, or a list of text parts."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    texts = [
        part["text"]
        for part in content
        if isinstance(part, Mapping) and isinstance(part.get("text"), str)
    ]
    return "\n".join(texts)


def run_command(text: str) -> str:
    """CMD from the first `run: CMD` in the text (rest of that line, stripped), or ""."""
    match = _RUN.search(text)
    return match.group(1).strip() if match else ""


def compaction_blob(history: Sequence[object]) -> str:
    """An opaque, deterministic stand-in for OpenAI's encrypted compaction summary."""
    digest = hashlib.sha256(orjson.dumps(list(history))).hexdigest()[:16]
    return f"sim-cmp-{len(history)}-{digest}"
