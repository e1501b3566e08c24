"""Token usage in one normal form, whatever protocol reported it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Usage:
    """`input_tokens` includes `cached_tokens` and `cache_write_tokens` (OpenAI's convention;
    Anthropic's counts are added up into it when decoded); `output_tokens` includes
    `reasoning_tokens`. `estimated` marks counts fourk inferred itself."""

    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    estimated: bool = False
    cache_write_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


NO_USAGE = Usage()
