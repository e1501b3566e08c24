"""The pure limit math: exact GCRA rates, UTC spend windows, refusals a person can act on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fourk.limits.rules import (
    MINUTE_US,
    SECOND_US,
    Limits,
    Refusal,
    Scope,
    busy_refusal,
    day_end,
    day_of,
    month_end,
    month_of,
    rate_adjust,
    rate_idle,
    rate_refusal,
    rate_rescale,
    rate_take,
    rate_wait,
    spend_fits,
    spend_refusal,
    to_us,
    token_charge,
    worse,
)

KEY = Scope("key", 7)
USER = Scope("user", 3)
NOW_US = to_us(datetime(2026, 5, 17, 12, 0, tzinfo=UTC).timestamp())


def epoch(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> float:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()


def test_limits_reject_nonsense() -> None:
    assert Limits().rpm is None
    with pytest.raises(ValueError, match="rpm"):
        Limits(rpm=0)
    with pytest.raises(ValueError, match="concurrency"):
        Limits(concurrency=-1)
    with pytest.raises(ValueError, match="spend_day"):
        Limits(spend_day=-1)
    assert Limits(spend_total=0).spend_total == 0  # a zero cap is allowed: nothing may be spent


def test_sixty_per_minute_lets_sixty_through_then_one_per_second() -> None:
    tat = 0
    for _ in range(60):
        assert rate_wait(tat, 60, NOW_US, 1) == 0
        tat = rate_take(tat, 60, NOW_US, 1)
    assert rate_wait(tat, 60, NOW_US, 1) == SECOND_US
    assert rate_wait(tat, 60, NOW_US + SECOND_US - 1, 1) == 1
    assert rate_wait(tat, 60, NOW_US + SECOND_US, 1) == 0
    assert not rate_idle(tat, 60, NOW_US + 59 * SECOND_US)
    assert rate_idle(tat, 60, NOW_US + 60 * SECOND_US)


@given(rate=st.integers(1, 400), start=st.integers(0, 2**41))
def test_a_burst_is_exactly_the_rate(rate: int, start: int) -> None:
    tat = 0
    for _ in range(rate):
        assert rate_wait(tat, rate, start, 1) == 0
        tat = rate_take(tat, rate, start, 1)
    # the next unit waits one interval, rounded up to a microsecond
    assert rate_wait(tat, rate, start, 1) == -(-MINUTE_US // rate)


@given(rate=st.integers(1, 10**8), start=st.integers(0, 2**41))
def test_a_whole_minute_at_once_fits_and_nothing_more(rate: int, start: int) -> None:
    assert rate_wait(0, rate, start, rate) == 0
    assert rate_wait(0, rate, start, rate + 1) > 0
    tat = rate_take(0, rate, start, rate)
    assert rate_wait(tat, rate, start + MINUTE_US, rate) == 0


@given(
    rate=st.integers(1, 5000),
    steps=st.lists(st.tuples(st.integers(0, 3 * SECOND_US), st.integers(1, 50)), max_size=40),
    later=st.lists(st.integers(0, 120 * SECOND_US), min_size=2, max_size=2),
    cost=st.integers(1, 50),
)
def test_waits_shrink_as_time_passes_and_are_exact(
    rate: int, steps: list[tuple[int, int]], later: list[int], cost: int
) -> None:
    tat, now = 0, NOW_US
    for gap, units in steps:
        now += gap
        tat = rate_take(tat, rate, now, min(units, rate))
    cost = min(cost, rate)
    first, second = now + min(later), now + max(later)
    assert rate_wait(tat, rate, second, cost) <= rate_wait(tat, rate, first, cost)
    wait = rate_wait(tat, rate, first, cost)
    assert rate_wait(tat, rate, first + wait, cost) == 0
    if wait:
        assert rate_wait(tat, rate, first + wait - 1, cost) > 0


def test_corrections_and_rescaling() -> None:
    tat = rate_take(0, 1000, NOW_US, 1000)  # the whole minute taken
    assert rate_wait(tat, 1000, NOW_US, 1) > 0
    tat = rate_adjust(tat, -400)  # only 600 were used
    assert rate_wait(tat, 1000, NOW_US, 400) == 0
    assert rate_wait(tat, 1000, NOW_US, 401) > 0
    # the same TAT (36 s ahead) under half the rate: 300 of 500 used, 200 left
    halved = rate_rescale(tat, 1000, 500)
    assert rate_wait(halved, 500, NOW_US, 200) == 0
    assert rate_wait(halved, 500, NOW_US, 201) > 0
    assert rate_rescale(tat, 0, 500) == tat == rate_rescale(tat, 1000, 1000)


def test_token_charge_is_at_least_one_and_at_most_a_minute() -> None:
    assert token_charge(0, 100) == 1
    assert token_charge(40, 100) == 40
    assert token_charge(5000, 100) == 100


def test_to_us_is_monotonic() -> None:
    assert to_us(1.0) == SECOND_US
    assert to_us(1.0000005) <= to_us(1.000001)


def test_days_and_months_are_utc_calendar_windows() -> None:
    assert day_of(epoch(2026, 3, 31, 23, 59, 59) + 0.999) == day_of(epoch(2026, 3, 31))
    assert day_of(epoch(2026, 4, 1)) == day_of(epoch(2026, 3, 31)) + 1
    assert day_end(day_of(epoch(2026, 3, 31, 8))) == epoch(2026, 4, 1)
    assert month_of(epoch(2026, 3, 31, 23, 59, 59)) + 1 == month_of(epoch(2026, 4, 1))
    assert month_end(month_of(epoch(2026, 12, 5))) == epoch(2027, 1, 1)
    assert month_end(month_of(epoch(2028, 2, 29))) == epoch(2028, 3, 1)


def test_spend_fits_while_the_estimate_fits_in_what_is_left() -> None:
    assert spend_fits(5_000_000, 4_000_000, 1_000_000)
    assert not spend_fits(5_000_000, 4_000_000, 1_000_001)
    assert spend_fits(5_000_000, 4_999_999, 0)
    assert not spend_fits(5_000_000, 5_000_000, 0)  # used up, even for a free-looking request
    assert not spend_fits(0, 0, 0)


def test_rate_messages_name_the_limit_and_the_wait() -> None:
    refusal = rate_refusal("rpm", KEY, 60, 11_200_000, 100.0)
    assert refusal.message == "This key allows 60 requests per minute; try again in 12s."
    assert (refusal.limit, refusal.scope, refusal.allowed) == ("rpm", KEY, 60)
    assert refusal.retry_after == 12
    assert refusal.resets_at == pytest.approx(111.2)
    tokens = rate_refusal("tpm", USER, 20_000, 1, 0.0)
    assert tokens.message == "Your account allows 20,000 tokens per minute; try again in 1s."
    assert tokens.retry_after == 1  # never 0: Codex needs a wait to retry at all
    busy = busy_refusal(KEY, 1, 0.0)
    assert busy.message == "This key allows 1 request at a time; try again in 1s."
    assert (busy.limit, busy.retry_after) == ("concurrency", 1)


def test_spend_messages_name_the_cap_and_the_reset() -> None:
    day = spend_refusal("spend_day", KEY, 5_000_000, 5_000_000, epoch(2026, 4, 1))
    assert day.message == "This key's daily spend cap of $5.00 is used up; it resets at 00:00 UTC."
    assert (day.retry_after, day.resets_at) == (None, epoch(2026, 4, 1))
    month = spend_refusal("spend_month", USER, 50_000_000, 49_990_000, 0.0)
    assert month.message == (
        "Your account's monthly spend cap of $50.00 has $0.01 left, less than this request "
        "may cost; it resets on the 1st at 00:00 UTC."
    )
    total = spend_refusal("spend_total", Scope("team", 1), 100_000_000, 100_000_000, None)
    assert total.message == "This team's total spend cap of $100.00 is used up."


def test_the_worse_refusal_binds() -> None:
    short = rate_refusal("rpm", KEY, 60, 1, 0.0)
    long = rate_refusal("tpm", USER, 60, 30 * SECOND_US, 0.0)
    cap = spend_refusal("spend_day", USER, 1, 1, None)
    assert worse(None, short) is short
    assert worse(short, long) is long
    assert worse(long, short) is long
    assert worse(long, cap) is cap
    assert worse(cap, long) is cap
    tie = rate_refusal("rpm", USER, 60, 1, 0.0)
    assert worse(short, tie) is short
    assert isinstance(cap, Refusal)
