"""Limits as people and scripts write and read them (pure).

Written: a form or a JSON object with any of the six names. A rate (rpm, tpm, concurrency)
is a whole number of at least 1; a spend cap is dollars as text ("5", "2.50") or, from a
script, an integer of micro-dollars. Missing, null or empty means no limit. Read: one short
line, "60 rpm · $5.00/day", built from phrases a page can translate one by one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict

from fourk.billing.pricing import InvalidAmount, format_dollars, parse_dollars
from fourk.limits.codec import NAMES
from fourk.limits.rules import Limits

RATE_NAMES = ("rpm", "tpm", "concurrency")
SPEND_NAMES = ("spend_day", "spend_month", "spend_total")
NO_LIMITS = "no limits"
SEPARATOR = " · "

# name → (phrase with one placeholder, the placeholder); the phrases are dashboard strings too
PHRASES: dict[str, tuple[str, str]] = {
    "rpm": ("{n} rpm", "n"),
    "tpm": ("{n} tpm", "n"),
    "concurrency": ("{n} at a time", "n"),
    "spend_day": ("{amount}/day", "amount"),
    "spend_month": ("{amount}/month", "amount"),
    "spend_total": ("{amount} in all", "amount"),
}


class LimitError(ValueError):
    """A value that is not a limit; `name` is the field it came in."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def read_limit(name: str, value: object) -> int | None:
    """One limit as typed or sent: None for no limit; LimitError names what is wrong."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if name in RATE_NAMES:
        return _read_rate(name, value)
    if name in SPEND_NAMES:
        return _read_spend(name, value)
    raise LimitError(name, f"'{name}' is not a limit (one of {', '.join(NAMES)}).")


def _read_rate(name: str, value: object) -> int:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None or number < 1:
        raise LimitError(name, f"'{name}' must be a whole number of at least 1 (empty: no limit).")
    return number


def _read_spend(name: str, value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        micro = value
    elif isinstance(value, str):
        try:
            micro = parse_dollars(value)
        except InvalidAmount as exc:
            raise LimitError(name, f"'{name}': {exc}.") from None
    else:
        raise LimitError(
            name,
            f"'{name}' must be dollars as text (e.g. \"2.50\") or micro-dollars (an integer).",
        )
    if micro < 0:
        raise LimitError(name, f"'{name}' cannot be negative (empty: no limit).")
    return micro


def limits_from(values: Mapping[str, object]) -> Limits | None:
    """Limits from a form or a JSON object; None when none is set. Unknown names are refused."""
    for name in values:
        if name not in NAMES:
            raise LimitError(name, f"'{name}' is not a limit (one of {', '.join(NAMES)}).")
    chosen = {name: read_limit(name, values.get(name)) for name in NAMES}
    given = {name: value for name, value in chosen.items() if value is not None}
    return Limits(**given) if given else None


def merge_limits(current: Limits | None, changes: Mapping[str, object]) -> Limits | None:
    """`current` with the given (not None) values replaced; the others stay as they are."""
    base: dict[str, object] = asdict(current) if current is not None else {}
    base.update({name: value for name, value in changes.items() if value is not None})
    return limits_from(base)


def limit_phrases(limits: Limits | None) -> list[tuple[str, dict[str, str]]]:
    """Each limit that is set, as (English phrase, its value) for a translator:
    ("{n} rpm", {"n": "60"}), ("{amount}/day", {"amount": "$5.00"})."""
    if limits is None:
        return []
    phrases = []
    for name in NAMES:
        value = getattr(limits, name)
        if value is None:
            continue
        phrase, placeholder = PHRASES[name]
        shown = format_dollars(value) if name in SPEND_NAMES else f"{value:,}"
        phrases.append((phrase, {placeholder: shown}))
    return phrases


def describe_limits(limits: Limits | None) -> str:
    """One line for people: "60 rpm · 2 at a time · $5.00/day", or "no limits"."""
    parts = [phrase.format(**values) for phrase, values in limit_phrases(limits)]
    return SEPARATOR.join(parts) or NO_LIMITS


def limit_inputs(limits: Limits | None) -> dict[str, str]:
    """The text of each form field: "" for no limit, dollars without "$" for a spend cap."""
    inputs = {}
    for name in NAMES:
        value = getattr(limits, name) if limits is not None else None
        if value is None:
            inputs[name] = ""
        elif name in SPEND_NAMES:
            inputs[name] = format_dollars(value).removeprefix("$")
        else:
            inputs[name] = str(value)
    return inputs
