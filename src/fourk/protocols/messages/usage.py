"""Token usage between the Anthropic Messages wire and the hub, both ways (pure).

Anthropic's `input_tokens` counts only the uncached input tokens, with cache reads
(`cache_read_input_tokens`) and cache writes (`cache_creation_input_tokens`) beside it. The
normal form (and Responses' `input_tokens`) counts every input token, with the cache reads
as `cached_tokens` and the cache writes kept apart. Reasoning tokens come from Anthropic's
`output_tokens_details.thinking_tokens` when it reports them, else 0 (no estimate: Claude 4
returns a summary of its thinking, so its length says little about the tokens billed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fourk.billing.usage import Usage
from fourk.protocols.hub.values import int_or, positive_int


@dataclass(slots=True)
class UsageCounts:
    """The counts of an Anthropic stream so far; each `usage` seen replaces those it has."""

    input: int = 0
    cache_read: int = 0
    cache_write: int = 0
    output: int = 0
    thinking: int = 0

    def update(self, usage: object) -> None:
        if not isinstance(usage, dict):
            return
        self.input = int_or(usage.get("input_tokens"), self.input)
        self.cache_read = int_or(usage.get("cache_read_input_tokens"), self.cache_read)
        self.cache_write = int_or(usage.get("cache_creation_input_tokens"), self.cache_write)
        self.output = int_or(usage.get("output_tokens"), self.output)
        details = usage.get("output_tokens_details")
        if isinstance(details, dict):
            self.thinking = int_or(details.get("thinking_tokens"), self.thinking)

    def normal(self) -> Usage:
        return Usage(
            input_tokens=self.input + self.cache_read + self.cache_write,
            cached_tokens=self.cache_read,
            output_tokens=self.output,
            reasoning_tokens=min(self.thinking, self.output),
            cache_write_tokens=self.cache_write,
        )


def encode_messages_usage(usage: dict[str, Any] | None) -> dict[str, Any]:
    """Responses usage → Anthropic usage. Responses `input_tokens` counts every input token;
    Anthropic's counts only the uncached ones, with cache reads (`cached_tokens`) and cache
    writes (`cache_write_tokens`, when an upstream reports them) beside it."""
    usage = usage if isinstance(usage, dict) else {}
    details = usage.get("input_tokens_details")
    details = details if isinstance(details, dict) else {}
    cached = positive_int(details.get("cached_tokens"))
    written = positive_int(details.get("cache_write_tokens"))
    return {
        "input_tokens": max(0, positive_int(usage.get("input_tokens")) - cached - written),
        "output_tokens": positive_int(usage.get("output_tokens")),
        "cache_creation_input_tokens": written,
        "cache_read_input_tokens": cached,
    }
