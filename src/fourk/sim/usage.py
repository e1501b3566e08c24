"""Token counts for a simulated answer: a cheap, deterministic estimate (pure).

About four bytes of request per input token and four characters of output per output
token, never zero. Reasoning is part of the output, as OpenAI counts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fourk.sim.items import OutputItem, Reasoning, item_text


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
    input_tokens = max(1, request_size // 4)
    output_chars = sum(len(item_text(item)) for item in items)
    reasoning_chars = sum(len(item.summary) for item in items if isinstance(item, Reasoning))
    reasoning_tokens = reasoning_chars // 4
    output_tokens = max(1, output_chars // 4, reasoning_tokens)
    return SimUsage(
        input_tokens=input_tokens,
        cached_tokens=min(max(0, cached_tokens), input_tokens),
        output_tokens=output_tokens,
        reasoning_tokens=reasoning_tokens,
    )
