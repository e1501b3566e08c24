"""Token counts for a simulated answer: a cheap, deterministic estimate (pure).

About four bytes of request per input token and four characters of output per output
token, never zero. Reasoning is part of the output, as OpenAI counts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fourk.sim.items import OutputItem, Reasoning, item_text

CHARS_PER_TOKEN = 4


@dataclass(frozen=True, slots=True)
class SimUsage:
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    reasoning_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


def estimate_usage(request_size: int, items: Sequence[OutputItem], cached_tokens: int) -> SimUsage:
    """Usage for a request of `request_size` bytes answered with `items`.

    `cached_tokens` is what the operator configured; it is capped at the input tokens.
    """
    input_tokens = max(1, request_size // CHARS_PER_TOKEN)
    output_chars = sum(len(item_text(item)) for item in items)
    reasoning_tokens = count_reasoning_tokens(items)
    output_tokens = max(1, output_chars // CHARS_PER_TOKEN, reasoning_tokens)
    return SimUsage(
        input_tokens=input_tokens,
        cached_tokens=min(max(0, cached_tokens), input_tokens),
        output_tokens=output_tokens,
        reasoning_tokens=reasoning_tokens,
    )


def count_reasoning_tokens(items: Sequence[OutputItem]) -> int:
    """The reasoning part of the output tokens."""
    chars = sum(len(item.summary) for item in items if isinstance(item, Reasoning))
    return chars // CHARS_PER_TOKEN
