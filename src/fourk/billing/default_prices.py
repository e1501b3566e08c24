"""The prices fourk ships with, per million tokens, as published by the vendors; an operator
edits them (and adds the rest) in the dashboard. Names must match the model exactly."""

from __future__ import annotations

from fourk.billing.pricing import Price, parse_dollars


def _usd(input: str, cached: str, output: str, write: str | None = None) -> Price:
    """Dollars per million tokens, written as text so no float rounding creeps in."""
    cache_write = None if write is None else parse_dollars(write)
    return Price(parse_dollars(input), parse_dollars(cached), parse_dollars(output), cache_write)


DEFAULT_PRICES: dict[str, Price] = {
    # OpenAI
    "gpt-5": _usd("1.25", "0.125", "10.0"),
    "gpt-5-codex": _usd("1.25", "0.125", "10.0"),
    "gpt-5-mini": _usd("0.25", "0.025", "2.0"),
    "gpt-5-nano": _usd("0.05", "0.005", "0.40"),
    "gpt-4.1": _usd("2.0", "0.50", "8.0"),
    "gpt-4.1-mini": _usd("0.40", "0.10", "1.60"),
    "gpt-4o": _usd("2.50", "1.25", "10.0"),
    "o3": _usd("2.0", "0.50", "8.0"),
    "o4-mini": _usd("1.10", "0.275", "4.40"),
    # Anthropic (cache writes: the 5-minute rate)
    "claude-sonnet-4": _usd("3.0", "0.30", "15.0", "3.75"),
    "claude-opus-4-1": _usd("15.0", "1.50", "75.0", "18.75"),
    "claude-3-5-haiku": _usd("0.80", "0.08", "4.0", "1.0"),
    # the built-in simulator (demo): cheap, so a demo credit lasts
    "sim-model": _usd("0.10", "0.01", "0.40"),
}
