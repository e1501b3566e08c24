"""Personas: what the simulated model says to a request (pure).

A persona reads an OpenAI Responses-shaped request body (Chat Completions and Anthropic
requests are first read into that shape by `chat_request` / `anthropic_request`) and
returns protocol-neutral output items. It never sees the wire format of the answer, so the
same persona speaks every protocol, each through its own encoder.

The default persona, "echo", drives a Codex turn end to end:

- last input item `compaction_trigger` → one `Compaction` (simulated remote compaction);
- last input item a tool output → "Command finished. Output: <output>";
- last user text containing `CONTEXT CHECKPOINT COMPACTION` → "Summary of the conversation
  so far: " and the earlier user texts, each cut to 80 characters, joined with " | ";
- last user text containing `run: CMD` → an `exec_command` call with `{"cmd": CMD}`;
- last user text containing `patch: PATH TEXT` → an `apply_patch` call adding file PATH
  with the line TEXT, shaped for the apply_patch tool the request offers (see `patch.py`);
- anything else → "You said: <first 200 characters>".

Earlier `compaction` items in the input are opaque history and change nothing.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence

import orjson

from fourk.sim.ids import IdFactory
from fourk.sim.items import Compaction, FunctionCall, OutputItem, Reasoning, TextMessage
from fourk.sim.patch import patch_call, patch_script

Persona = Callable[[Mapping[str, object], IdFactory], list[OutputItem]]
"""Request body and an id factory in, output items out."""

ECHO_LIMIT = 200
"""How many characters of the user's text the echo repeats."""

TOOL_OUTPUT_LIMIT = 2000
"""How many characters of a tool's output the reply quotes."""

SUMMARY_TRIGGER = "CONTEXT CHECKPOINT COMPACTION"
"""What Codex and fourk put in the prompt that asks a model to summarise the history."""

SUMMARY_PREFIX = "Summary of the conversation so far: "
SUMMARY_TEXT_LIMIT = 80
"""How many characters of each earlier user text the summary quotes."""

PERSONA_NAMES = ("echo", "reasoner")

_RUN = re.compile(r"^run:(.*)", re.MULTILINE)  # at a line start: a summary quoting it is no command
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
    if SUMMARY_TRIGGER in text:
        return [TextMessage(summarize(user_texts(body)[:-1]))]
    command = run_command(text)
    if command:
        arguments = orjson.dumps({"cmd": command}).decode()
        return [FunctionCall(name="exec_command", arguments=arguments, call_id=new_id("call"))]
    patch = patch_script(text)
    if patch is not None:
        return [patch_call(body.get("tools"), *patch, new_id)]
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
    return [Reasoning(summary=summary, encrypted_content=reasoning_blob(summary)), *answer]


def reasoning_blob(summary: str) -> str:
    """The opaque blob (Responses `encrypted_content`, Anthropic `signature`) the sim
    issues for a reasoning text; a request that sends the text back must carry it."""
    return "sim-rs-" + base64.urlsafe_b64encode(summary.encode()).decode()


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
    texts = user_texts(body)
    return texts[-1] if texts else ""


def user_texts(body: Mapping[str, object]) -> list[str]:
    """The text of every user message in `input`, oldest first."""
    return [
        content_text(item.get("content"))
        for item in input_items(body)
        if isinstance(item, Mapping)
        and item.get("role") == "user"
        and item.get("type", "message") == "message"
    ]


def summarize(texts: Sequence[str]) -> str:
    """The summary script's answer: each non-empty text cut to 80 characters, joined."""
    quoted = [text[:SUMMARY_TEXT_LIMIT] for text in texts if text]
    return SUMMARY_PREFIX + " | ".join(quoted)


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
    """CMD from the first line starting `run: CMD` (rest of that line, stripped), or ""."""
    match = _RUN.search(text)
    return match.group(1).strip() if match else ""


def compaction_blob(history: Sequence[object]) -> str:
    """An opaque, deterministic stand-in for OpenAI's encrypted compaction summary."""
    digest = hashlib.sha256(orjson.dumps(list(history))).hexdigest()[:16]
    return f"sim-cmp-{len(history)}-{digest}"
