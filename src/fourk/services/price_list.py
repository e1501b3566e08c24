"""The operator's price list (pure): every model people can call with the price it is billed
at and where that price comes from, plus reading prices typed in dollars per million tokens.

A model's price is the operator's if they set one, else the shipped default, else none: a
served model without a price is free (the relay reserves and charges nothing for it). An
alias without a price of its own is billed at its target's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from fourk.billing.pricing import Price, parse_dollars

OPERATOR = "operator"
DEFAULT = "default"
ALIAS = "alias"
MAX_PRICE = 100_000 * 1_000_000  # $100,000 per million tokens


@dataclass(frozen=True, slots=True)
class PriceRow:
    model: str
    price: Price | None  # what requests are billed at (None: free)
    source: str | None  # OPERATOR, DEFAULT, ALIAS (the target's), None
    default: Price | None  # the shipped price, if any
    served: bool  # a channel serves it (or it is an alias of a served model)
    alias_of: str | None = None

    @property
    def free(self) -> bool:
        return self.price is None


def _row(
    model: str,
    operator: Mapping[str, Price],
    defaults: Mapping[str, Price],
    aliases: Mapping[str, str],
    served: bool,
) -> PriceRow:
    target = aliases.get(model)
    own = operator.get(model)
    shipped = defaults.get(model)
    price: Price | None
    source: str | None
    if own is not None:
        price, source = own, OPERATOR
    elif shipped is not None:
        price, source = shipped, DEFAULT
    elif target is not None:
        price = operator.get(target) or defaults.get(target)
        source = ALIAS if price is not None else None
    else:
        price, source = None, None
    return PriceRow(model, price, source, shipped, served, target)


def price_rows(
    served: Iterable[str],
    operator: Mapping[str, Price],
    defaults: Mapping[str, Price],
    aliases: Mapping[str, str],
) -> list[PriceRow]:
    """Served models (and aliases) first, then the operator's prices for models no channel
    serves; each group by name."""
    names = sorted(set(served))
    rows = [_row(name, operator, defaults, aliases, True) for name in names]
    unserved = sorted(set(operator) - set(names))
    return rows + [_row(name, operator, defaults, aliases, False) for name in unserved]


def parse_price(
    input: str, cached_input: str, output: str, cache_write: str | None = None
) -> Price:
    """Dollars per million tokens, as typed ("1.25", "$10"); an empty cached price is the
    input price, an empty cache-write price bills cache writes as input. ValueError says
    which part is wrong."""
    if not input.strip() or not output.strip():
        raise ValueError("Give at least the input and output prices (dollars per million tokens).")
    fresh = _per_million("input", input)
    cached = _per_million("cached input", cached_input) if cached_input.strip() else fresh
    written = None
    if cache_write and cache_write.strip():
        written = _per_million("cache write", cache_write)
    return Price(fresh, cached, _per_million("output", output), written)


def _per_million(name: str, text: str) -> int:
    value = parse_dollars(text)
    if not 0 <= value <= MAX_PRICE:
        raise ValueError(f"The {name} price must be between $0 and $100,000 per million tokens.")
    return value


MAX_MULTIPLIER_PERCENT = 1000


def parse_percent(text: str) -> int:
    """A price multiplier typed in percent ("100", "87.5%") → basis points (10_000 is 1x)."""
    cleaned = text.strip().removesuffix("%").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"'{text}' is not a percentage (100 is the list price).") from None
    points = value * 100
    if not value.is_finite() or points != points.to_integral_value():
        raise ValueError("Use at most two decimals in a percentage.")
    if not 0 <= value <= MAX_MULTIPLIER_PERCENT:
        raise ValueError(f"A price multiplier is 0% to {MAX_MULTIPLIER_PERCENT}%.")
    return int(points)


def format_percent(points: int) -> str:
    """Basis points as people read them: 10_000 → "100", 8_750 → "87.5"."""
    if points % 100 == 0:
        return str(points // 100)
    return f"{Decimal(points) / 100:f}".rstrip("0").rstrip(".")
