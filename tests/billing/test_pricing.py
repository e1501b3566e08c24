"""Costs in integer micro-dollars: exact for round numbers, never below the exact value,
and a breakdown that adds up to what is charged."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fourk.billing.default_prices import DEFAULT_PRICES
from fourk.billing.pricing import (
    Cost,
    InvalidAmount,
    Price,
    cost_of,
    format_dollars,
    parse_dollars,
    reservation,
)
from fourk.billing.usage import Usage

GPT5 = Price(input=1_250_000, cached_input=125_000, output=10_000_000)
SONNET = Price(input=3_000_000, cached_input=300_000, output=15_000_000, cache_write=3_750_000)


def test_openai_usage_counts_cached_tokens_inside_input() -> None:
    # 1M input of which 800k cached, 100k output: 200k × $1.25 + 800k × $0.125 + 100k × $10
    usage = Usage(input_tokens=1_000_000, cached_tokens=800_000, output_tokens=100_000)
    assert cost_of(usage, GPT5) == Cost(
        input=250_000, cached_input=100_000, cache_write=0, output=1_000_000
    )
    assert cost_of(usage, GPT5).total == 1_350_000  # $1.35


def test_reasoning_is_billed_as_output_once() -> None:
    plain = Usage(input_tokens=10, output_tokens=1000)
    reasoning = Usage(input_tokens=10, output_tokens=1000, reasoning_tokens=900)
    assert cost_of(reasoning, GPT5) == cost_of(plain, GPT5)


def test_cache_writes_have_their_own_price_or_cost_as_input() -> None:
    usage = Usage(input_tokens=3000, cached_tokens=1000, cache_write_tokens=1000, output_tokens=0)
    cost = cost_of(usage, SONNET)
    assert (cost.input, cost.cached_input, cost.cache_write) == (3000, 300, 3750)
    no_write_price = Price(input=3_000_000, cached_input=300_000, output=15_000_000)
    assert cost_of(usage, no_write_price).cache_write == 3000


def test_multiplier_in_basis_points() -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=0)
    assert cost_of(usage, GPT5, 15_000).total == 1_875_000  # 1.5x
    assert cost_of(usage, GPT5, 0).total == 0
    with pytest.raises(InvalidAmount):
        cost_of(usage, GPT5, -1)


def test_a_single_token_is_never_free() -> None:
    assert cost_of(Usage(input_tokens=1), GPT5).total == 2  # 1.25 µ$ rounds up


def test_counts_that_do_not_add_up_are_not_negative() -> None:
    odd = Usage(input_tokens=5, cached_tokens=50, output_tokens=-3)
    cost = cost_of(odd, GPT5)
    assert cost.input == 0 and cost.output == 0 and cost.total > 0


def test_reservation_is_the_worst_case() -> None:
    assert (
        reservation(1000, 4000, GPT5)
        == cost_of(Usage(input_tokens=1000, output_tokens=4000), GPT5).total
    )
    assert (
        reservation(1000, 4000, GPT5)
        >= cost_of(Usage(input_tokens=1000, cached_tokens=1000, output_tokens=10), GPT5).total
    )


tokens = st.integers(min_value=0, max_value=10**9)
prices = st.builds(
    Price,
    input=st.integers(0, 10**9),
    cached_input=st.integers(0, 10**9),
    output=st.integers(0, 10**9),
    cache_write=st.none() | st.integers(0, 10**9),
)


@given(tokens, tokens, tokens, tokens, prices, st.integers(0, 100_000))
def test_never_below_the_exact_cost_and_at_most_four_micro_dollars_above(
    fresh: int, cached: int, written: int, output: int, price: Price, multiplier: int
) -> None:
    usage = Usage(
        input_tokens=fresh + cached + written,
        cached_tokens=cached,
        cache_write_tokens=written,
        output_tokens=output,
    )
    write_price = price.input if price.cache_write is None else price.cache_write
    exact = Fraction(
        (fresh * price.input + cached * price.cached_input + written * write_price
         + output * price.output) * multiplier,
        10**6 * 10**4,
    )  # fmt: skip
    total = cost_of(usage, price, multiplier).total
    assert exact <= total < exact + 4 + 1e-9


@given(tokens, tokens, prices)
def test_more_tokens_never_cost_less(a: int, b: int, price: Price) -> None:
    low, high = sorted((a, b))
    assert (
        cost_of(Usage(output_tokens=low), price).total
        <= cost_of(Usage(output_tokens=high), price).total
    )


@pytest.mark.parametrize(
    ("text", "micro"),
    [("10", 10_000_000), ("$2.50", 2_500_000), ("0.000001", 1), ("1,000", 1_000_000_000),
     (" 3 ", 3_000_000), ("-5", -5_000_000)],
)  # fmt: skip
def test_parse_dollars(text: str, micro: int) -> None:
    assert parse_dollars(text) == micro


@pytest.mark.parametrize("text", ["", "ten", "1.0000001", "nan", "inf", "$"])
def test_parse_dollars_refuses(text: str) -> None:
    with pytest.raises(InvalidAmount):
        parse_dollars(text)


@pytest.mark.parametrize(
    ("micro", "text"),
    [(1_250_000, "$1.25"), (0, "$0.00"), (1, "$0.000001"), (-2_500_000, "-$2.50"),
     (10_000_000_000, "$10000.00")],
)  # fmt: skip
def test_format_dollars(micro: int, text: str) -> None:
    assert format_dollars(micro) == text
    assert parse_dollars(text.replace("-$", "-")) == micro


def test_shipped_prices_are_sane() -> None:
    for name, price in DEFAULT_PRICES.items():
        assert 0 < price.cached_input <= price.input <= price.output, name
    assert DEFAULT_PRICES["gpt-5-codex"] == GPT5
    assert DEFAULT_PRICES["claude-sonnet-4"] == SONNET
