"""A user's activity by UTC day (pure: the day totals and "today" come in as data).

The overview shows the last 30 days with the quiet days filled in as zeros, and three headline
numbers: requests today, tokens this month, and the share of requests that worked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from fourk.store.log_reader import DayTotals

WINDOW_DAYS = 30


@dataclass(frozen=True, slots=True)
class Headline:
    requests_today: int
    input_tokens_month: int
    output_tokens_month: int
    requests_window: int  # in the last WINDOW_DAYS days
    errors_window: int
    spend_today: int = 0  # micro-dollars
    spend_month: int = 0

    @property
    def tokens_month(self) -> int:
        return self.input_tokens_month + self.output_tokens_month

    @property
    def success_rate(self) -> float | None:
        """Share of the window's requests that worked (None before the first request)."""
        if not self.requests_window:
            return None
        return (self.requests_window - self.errors_window) / self.requests_window


def window_days(today: date, days: int = WINDOW_DAYS) -> list[date]:
    """The last `days` days, oldest first, ending with today."""
    return [today - timedelta(days=back) for back in range(days - 1, -1, -1)]


def totals_since(today: date, days: int = WINDOW_DAYS) -> datetime:
    """Where the daily totals must start to cover both the window and this month."""
    first = min(window_days(today, days)[0], today.replace(day=1))
    return datetime.combine(first, time(), tzinfo=UTC)


def fill_days(totals: Sequence[DayTotals], today: date, days: int = WINDOW_DAYS) -> list[DayTotals]:
    """One entry per day of the window (zeros for days without requests)."""
    by_day = {t.day: t for t in totals}
    return [by_day.get(day) or DayTotals(day, 0, 0, 0, 0, 0) for day in window_days(today, days)]


def headline(totals: Sequence[DayTotals], today: date, days: int = WINDOW_DAYS) -> Headline:
    first = window_days(today, days)[0]
    window = [t for t in totals if first <= t.day <= today]
    month = [t for t in totals if (t.day.year, t.day.month) == (today.year, today.month)]
    return Headline(
        requests_today=sum(t.requests for t in totals if t.day == today),
        input_tokens_month=sum(t.input_tokens for t in month),
        output_tokens_month=sum(t.output_tokens for t in month),
        requests_window=sum(t.requests for t in window),
        errors_window=sum(t.errors for t in window),
        spend_today=sum(t.cost for t in totals if t.day == today),
        spend_month=sum(t.cost for t in month),
    )
