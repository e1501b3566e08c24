"""Codex's remote compaction, as fourk emulates it for upstreams without it (pure).

Codex (with the provider named "OpenAI") compacts a long session by sending its history
followed by `{"type": "compaction_trigger"}` and expects exactly one `compaction` item back,
which it sends again in later requests instead of the history. For a Chat or Anthropic
upstream fourk asks the model for a hand-off summary, seals it, and later opens the sealed
summary and puts it back into the input as text. These are the pure steps; the sealing is
done by the caller (services/compaction.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

SEAL_PREFIX = "fourk-cmp."
"""Marks a compaction fourk sealed (real OpenAI compactions look different)."""

SUMMARY_PROMPT = (
    "CONTEXT CHECKPOINT COMPACTION. The conversation above is about to be replaced by a "
    "summary. Write a hand-off summary for another engineer who will continue the work "
    "without seeing the conversation: the user's goal and constraints, what has been done "
    "(files changed, commands run and their results), decisions made, and what is left to "
    "do next. Be specific and complete; answer with the summary only."
)

SUMMARY_INTRO = "Summary of the earlier conversation (it was compacted to save context):\n\n"

# Request fields that make no sense for a summary call.
_DROPPED_FOR_SUMMARY = ("tools", "tool_choice", "parallel_tool_calls", "text")


def is_compaction_trigger(body: Mapping[str, Any]) -> bool:
    """The request asks for remote compaction: its last input item is the trigger."""
    items = body.get("input")
    return (
        isinstance(items, list)
        and bool(items)
        and isinstance(items[-1], Mapping)
        and items[-1].get("type") == "compaction_trigger"
    )


def summary_request(body: Mapping[str, Any]) -> dict[str, Any]:
    """The request that asks the model for the summary: the history without the trigger,
    then the summary prompt as a user message; no tools."""
    items = list(body.get("input") or [])[:-1]
    items.append(
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": SUMMARY_PROMPT}],
        }
    )
    request = {k: v for k, v in body.items() if k not in _DROPPED_FOR_SUMMARY}
    request["input"] = items
    return request


def has_compactions(items: object) -> bool:
    return isinstance(items, list) and any(
        isinstance(item, Mapping) and item.get("type") in ("compaction", "compaction_summary")
        for item in items
    )


def expand_compactions(
    body: Mapping[str, Any], open_summary: Callable[[str], str], *, only_ours: bool = False
) -> dict[str, Any]:
    """The body with every `compaction` item replaced by its summary as a user message.
    `open_summary` opens a sealed blob (raising on tampered or foreign ones). With
    `only_ours`, blobs fourk did not seal are left as they are (for a Responses upstream,
    which has its own)."""
    items = body.get("input")
    if not has_compactions(items):
        return dict(body)
    assert isinstance(items, Sequence)
    expanded: list[Any] = []
    for item in items:
        if not _is_compaction(item):
            expanded.append(item)
            continue
        blob = str(item.get("encrypted_content") or "")
        if only_ours and not blob.startswith(SEAL_PREFIX):
            expanded.append(item)
            continue
        text = SUMMARY_INTRO + open_summary(blob)
        expanded.append(
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
        )
    return {**body, "input": expanded}


def _is_compaction(item: object) -> bool:
    return isinstance(item, Mapping) and item.get("type") in ("compaction", "compaction_summary")
