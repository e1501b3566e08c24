"""The operator's price list (pure): where each served model's price comes from, prices and
multipliers typed by people."""

from __future__ import annotations

import pytest

from fourk.billing.pricing import Price
from fourk.services.price_list import (
    ALIAS,
    DEFAULT,
    OPERATOR,
    format_percent,
    parse_percent,
    parse_price,
    price_rows,
)

SHIPPED = {
    "gpt-5": Price(1_250_000, 125_000, 10_000_000),
    "o3": Price(2_000_000, 500_000, 8_000_000),
}
MINE = {"o3": Price(1, 1, 1), "retired": Price(5, 5, 5)}


def test_each_served_model_shows_where_its_price_comes_from() -> None:
    rows = price_rows(["o3", "gpt-5", "local", "fast"], MINE, SHIPPED, {"fast": "gpt-5"})
    by_name = {r.model: r for r in rows}
    assert [r.model for r in rows] == ["fast", "gpt-5", "local", "o3", "retired"]
    assert by_name["o3"].source == OPERATOR and by_name["o3"].price == MINE["o3"]
    assert by_name["o3"].default == SHIPPED["o3"]  # what "reset to default" brings back
    assert by_name["gpt-5"].source == DEFAULT and by_name["gpt-5"].price == SHIPPED["gpt-5"]
    assert by_name["fast"].source == ALIAS and by_name["fast"].price == SHIPPED["gpt-5"]
    assert by_name["local"].free and by_name["local"].source is None and by_name["local"].served
    assert not by_name["retired"].served and by_name["retired"].source == OPERATOR


def test_prices_are_typed_in_dollars_per_million_tokens() -> None:
    assert parse_price("1.25", "0.125", "$10") == Price(1_250_000, 125_000, 10_000_000, None)
    assert parse_price("3", "", "15", "3.75") == Price(3_000_000, 3_000_000, 15_000_000, 3_750_000)
    assert parse_price("0", "0", "0") == Price(0, 0, 0)
    for bad in (("", "", "1"), ("1", "", ""), ("-1", "", "1"), ("1", "x", "1"), ("1e9", "", "1")):
        with pytest.raises(ValueError):
            parse_price(*bad)


def test_multipliers_are_typed_in_percent() -> None:
    assert parse_percent("100") == 10_000
    assert parse_percent(" 87.5% ") == 8_750
    assert parse_percent("0") == 0
    for bad in ("", "abc", "-1", "1001", "12.345", "nan", "inf"):
        with pytest.raises(ValueError):
            parse_percent(bad)
    assert [format_percent(p) for p in (10_000, 8_750, 12_345, 0)] == ["100", "87.5", "123.45", "0"]
