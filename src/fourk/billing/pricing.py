"""Prices and what a request costs (pure): integer micro-dollars, no floats anywhere.

A price is micro-dollars per million tokens, so $1.25 per million input tokens is
`input=1_250_000`. Each part of a cost is rounded up to a whole micro-dollar on its own and
the total is their sum, so the breakdown a person reads always adds up to what was charged
(at most a few micro-dollars above the exact value, never below).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from fourk.billing.usage import Usage

MICRO = 1_000_000  # micro-dollars per dollar
PER_TOKENS = 1_000_000  # prices are per million tokens
UNIT_MULTIPLIER = 10_000  # multipliers are in basis points: 10_000 is 1x


class InvalidAmount(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Price:
    """Micro-dollars per million tokens. Reasoning is billed as output; cache writes
    (Anthropic-style upstreams) as input unless they have their own price."""

    input: int
    cached_input: int
    output: int
    cache_write: int | None = None

    def __post_init__(self) -> None:
        parts = (self.input, self.cached_input, self.output, self.cache_write or 0)
        if any(p < 0 for p in parts):
            raise InvalidAmount("prices cannot be negative")


@dataclass(frozen=True, slots=True)
class Cost:
    """Micro-dollars, per part and in total (total == the sum of the parts)."""

    input: int = 0
    cached_input: int = 0
    cache_write: int = 0
    output: int = 0

    @property
    def total(self) -> int:
        return self.input + self.cached_input + self.cache_write + self.output


def cost_of(usage: Usage, price: Price, multiplier: int = UNIT_MULTIPLIER) -> Cost:
    """What `usage` costs at `price`, scaled by `multiplier` basis points."""
    if multiplier < 0:
        raise InvalidAmount("a multiplier cannot be negative")
    cached = max(0, usage.cached_tokens)
    written = max(0, usage.cache_write_tokens)
    fresh = max(0, usage.input_tokens - cached - written)
    write_price = price.input if price.cache_write is None else price.cache_write
    return Cost(
        input=_part(fresh, price.input, multiplier),
        cached_input=_part(cached, price.cached_input, multiplier),
        cache_write=_part(written, write_price, multiplier),
        output=_part(max(0, usage.output_tokens), price.output, multiplier),
    )


def reservation(
    input_tokens: int, output_cap: int, price: Price, multiplier: int = UNIT_MULTIPLIER
) -> int:
    """The most a request can cost before it runs: every input token uncached and the whole
    output cap used."""
    worst = Usage(input_tokens=input_tokens, output_tokens=output_cap)
    return cost_of(worst, price, multiplier).total


def _part(tokens: int, price: int, multiplier: int) -> int:
    exact = tokens * price * multiplier
    whole = PER_TOKENS * UNIT_MULTIPLIER
    return -(-exact // whole)  # rounded up


def parse_dollars(text: str) -> int:
    """'12.5', '$12.50', '0.000001' → micro-dollars, exactly; InvalidAmount otherwise."""
    cleaned = text.strip().removeprefix("$").replace(",", "").strip()
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise InvalidAmount(f"{text!r} is not an amount of dollars (e.g. 10 or 2.50)") from None
    if not amount.is_finite():
        raise InvalidAmount(f"{text!r} is not an amount of dollars")
    micro = amount * MICRO
    if micro != micro.to_integral_value():
        raise InvalidAmount(f"{text!r} has more than six decimals (a micro-dollar is the unit)")
    return int(micro)


def format_dollars(micro: int, places: int = 6) -> str:
    """Micro-dollars for people: 1_250_000 → '$1.25' (trailing zeros trimmed to two)."""
    value = (Decimal(micro) / MICRO).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    text = f"{abs(value):f}"
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0").ljust(2, "0")
    return f"{'-' if value < 0 else ''}${whole}.{fraction}"
