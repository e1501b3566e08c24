"""What a simulated model says, independent of any wire protocol.

A persona decides a list of these; an encoder per protocol (OpenAI Responses, Chat
Completions, Anthropic Messages) puts them on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TextMessage:
    """An assistant message with one text part."""

    text: str


@dataclass(frozen=True, slots=True)
class FunctionCall:
    """A tool call; `arguments` is a JSON string, as every protocol sends it."""

    name: str
    arguments: str
    call_id: str


@dataclass(frozen=True, slots=True)
class CustomToolCall:
    """A call to a freeform (`custom`) Responses tool; `input` is raw text, not JSON."""

    name: str
    input: str
    call_id: str


@dataclass(frozen=True, slots=True)
class Reasoning:
    """A reasoning item: a readable summary and an opaque blob the client sends back."""

    summary: str
    encrypted_content: str | None = None


@dataclass(frozen=True, slots=True)
class Compaction:
    """The single item of an OpenAI remote compaction: opaque history for later requests."""

    encrypted_content: str


OutputItem = TextMessage | FunctionCall | CustomToolCall | Reasoning | Compaction


def item_text(item: OutputItem) -> str:
    """The text a model would have generated for the item (used for token estimates)."""
    match item:
        case TextMessage(text=text):
            return text
        case FunctionCall(name=name, arguments=arguments):
            return name + arguments
        case CustomToolCall(name=name, input=text):
            return name + text
        case Reasoning(summary=summary):
            return summary
        case Compaction(encrypted_content=content):
            return content
