"""One simulated answer, decided before any byte is encoded (pure).

The persona picks the items; this module adds what every wire protocol needs alike: the
model name, the creation time, and the usage estimate. Message text is padded here when
it is shorter than the number of stream chunks asked for, so every encoder (and the
benchmark) sees exactly that many text deltas and a done text equal to their sum.
`cap_answer` then cuts the answer where a model told `max_tokens` would have stopped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from fourk.sim.ids import IdFactory
from fourk.sim.items import OutputItem, TextMessage, item_text
from fourk.sim.persona import Persona
from fourk.sim.usage import CHARS_PER_TOKEN, SimUsage, count_reasoning_tokens, estimate_usage

_FILLER = " ok"


@dataclass(frozen=True, slots=True)
class Answer:
    model: str
    created_at: int
    items: tuple[OutputItem, ...]
    usage: SimUsage
    truncated: bool = False
    """True when the output was cut at the request's `max_tokens` (see `cap_answer`)."""


def plan_answer(
    body: Mapping[str, object],
    persona: Persona,
    new_id: IdFactory,
    *,
    model: str,
    now: float,
    request_size: int,
    cached_tokens: int = 0,
    chunks: int = 1,
) -> Answer:
    """Ask the persona, pad message text to `chunks` characters, and estimate usage."""
    items = tuple(_pad_item(item, chunks) for item in persona(body, new_id))
    return Answer(
        model=model,
        created_at=int(now),
        items=items,
        usage=estimate_usage(request_size, items, cached_tokens),
    )


def cap_answer(answer: Answer, max_tokens: int | None) -> Answer:
    """The answer a model stopped after `max_tokens` output tokens would give.

    Items are kept in order while they fit (four characters a token); a message that does
    not fit is cut, anything else that does not fit is left out, and nothing follows it.
    The output tokens are then exactly `max_tokens`, and `truncated` is set.
    """
    if max_tokens is None or answer.usage.output_tokens <= max_tokens:
        return answer
    items = _fit(answer.items, max_tokens * CHARS_PER_TOKEN)
    usage = replace(
        answer.usage,
        output_tokens=max_tokens,
        reasoning_tokens=min(count_reasoning_tokens(items), max_tokens),
    )
    return replace(answer, items=items, usage=usage, truncated=True)


def _fit(items: Sequence[OutputItem], budget: int) -> tuple[OutputItem, ...]:
    kept: list[OutputItem] = []
    for item in items:
        size = len(item_text(item))
        if size <= budget:
            kept.append(item)
            budget -= size
            continue
        if isinstance(item, TextMessage) and budget > 0:
            kept.append(TextMessage(item.text[:budget]))
        break
    return tuple(kept)


def pad_text(text: str, pieces: int) -> str:
    """The text, with filler words appended until it has at least `pieces` characters."""
    while len(text) < pieces:
        text += _FILLER
    return text


def split_text(text: str, pieces: int) -> list[str]:
    """Cut text into `pieces` non-empty parts of near-equal length (fewer if it is short)."""
    count = max(1, min(pieces, len(text)))
    size, extra = divmod(len(text), count)
    parts = []
    start = 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        parts.append(text[start:end])
        start = end
    return parts


def _pad_item(item: OutputItem, chunks: int) -> OutputItem:
    if isinstance(item, TextMessage) and len(item.text) < chunks:
        return TextMessage(pad_text(item.text, chunks))
    return item
