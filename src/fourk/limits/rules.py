"""Limit math (pure): what a key or a user may do, and why a request is refused.

Rates (requests and tokens per minute) use GCRA, the generic cell rate algorithm: a rate keeps
one number, the theoretical arrival time (TAT) of its next unit. A unit costs 1/rate of a
minute; a request fits while the TAT after it is at most one minute ahead of now, so a full
minute's worth may come at once and then one unit every 1/rate minute. The wait is exact: the
time until the TAT falls back to one minute ahead. Everything is an integer: times are whole
microseconds and a TAT is kept multiplied by its rate, so a unit costs exactly `MINUTE_US`
and 60 per minute lets exactly 60 through, with no rounding drift.

Spend caps are integer micro-dollars over UTC calendar windows of epoch seconds: a day starts
at 00:00 UTC, a month on the 1st at 00:00 UTC, and the total never resets.

Refusals carry what the caller needs to answer: a rate refusal has `retry_after` (whole
seconds, rounded up, so a retry then fits) and becomes 429 + Retry-After; a spend refusal has
`retry_after=None` and becomes 429 `insufficient_quota`, which Codex does not retry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, NamedTuple

from fourk.billing.pricing import format_dollars

MINUTE_US = 60_000_000
SECOND_US = 1_000_000
DAY_SECONDS = 86_400
BUSY_RETRY_AFTER = 1  # seconds to wait when every concurrency slot is taken

LimitName = Literal["rpm", "tpm", "concurrency", "spend_day", "spend_month", "spend_total"]
SpendWindow = Literal["spend_day", "spend_month", "spend_total"]

_RATE_UNITS = {"rpm": ("request", "per minute"), "tpm": ("token", "per minute")}
_WINDOW_WORDS = {"spend_day": "daily", "spend_month": "monthly", "spend_total": "total"}
_WINDOW_RESETS = {
    "spend_day": "; it resets at 00:00 UTC",
    "spend_month": "; it resets on the 1st at 00:00 UTC",
    "spend_total": "",
}
_SUBJECTS = {"key": ("This key", "This key's"), "user": ("Your account", "Your account's")}


class Scope(NamedTuple):
    """Who a limit applies to: ("key", key_id) or ("user", user_id)."""

    kind: str
    id: int | str


@dataclass(frozen=True, slots=True)
class Limits:
    """A scope's limits; None means unlimited. Spend caps are micro-dollars."""

    rpm: int | None = None
    tpm: int | None = None
    concurrency: int | None = None
    spend_day: int | None = None
    spend_month: int | None = None
    spend_total: int | None = None

    def __post_init__(self) -> None:
        for name in ("rpm", "tpm", "concurrency"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1 (or None for no limit)")
        for name in ("spend_day", "spend_month", "spend_total"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} cannot be negative")


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request may not start now."""

    limit: LimitName
    scope: Scope
    allowed: int  # the limit's value (micro-dollars for a spend cap)
    retry_after: int | None  # whole seconds for a rate limit; None: a spend cap, do not retry
    resets_at: float | None  # epoch seconds when it could fit again; None: the total cap
    message: str


# --- rates (GCRA) -----------------------------------------------------------------------


def to_us(now: float) -> int:
    """Epoch seconds as whole microseconds (monotonic in `now`)."""
    return round(now * SECOND_US)


def rate_wait(tat: int, rate: int, now_us: int, cost: int) -> int:
    """Microseconds until `cost` more units fit under `rate` per minute; 0 if they fit now.
    `tat` is the theoretical arrival time × rate (0 for a rate never used)."""
    over = max(tat, now_us * rate) + cost * MINUTE_US - (now_us + MINUTE_US) * rate
    return 0 if over <= 0 else -(-over // rate)


def rate_take(tat: int, rate: int, now_us: int, cost: int) -> int:
    """The TAT after `cost` units are counted at `now_us`."""
    return max(tat, now_us * rate) + cost * MINUTE_US


def rate_adjust(tat: int, units: int) -> int:
    """The TAT after `units` more (or, if negative, fewer) were used than were counted."""
    return tat + units * MINUTE_US


def rate_rescale(tat: int, old_rate: int, new_rate: int) -> int:
    """The same TAT kept under a changed rate."""
    if old_rate in (0, new_rate):
        return tat
    return tat * new_rate // old_rate


def rate_idle(tat: int, rate: int, now_us: int) -> bool:
    """True when the rate has fully recovered (forgetting it would change nothing)."""
    return tat <= now_us * rate


def token_charge(estimate: int, tpm: int) -> int:
    """Tokens counted at admission: at least one, at most a whole minute's worth (so a
    request larger than the limit can still start once the minute is clear; the actual
    tokens counted when it finishes then push later requests back)."""
    return min(max(estimate, 1), tpm)


# --- spend windows ----------------------------------------------------------------------


def day_of(now: float) -> int:
    """The UTC day of epoch seconds `now`, as days since 1970-01-01."""
    return int(now // DAY_SECONDS)


def month_of(now: float) -> int:
    """The UTC month of epoch seconds `now`, as year × 12 + month - 1."""
    moment = datetime.fromtimestamp(now, UTC)
    return moment.year * 12 + moment.month - 1


def day_end(day: int) -> float:
    """Epoch seconds of the 00:00 UTC that ends `day`."""
    return float((day + 1) * DAY_SECONDS)


def month_end(month: int) -> float:
    """Epoch seconds of the 1st, 00:00 UTC, that ends `month`."""
    year, index = divmod(month + 1, 12)
    return datetime(year, index + 1, 1, tzinfo=UTC).timestamp()


def spend_fits(cap: int, used: int, estimate: int) -> bool:
    """True if a request estimated at `estimate` may start with `used` already spent or held:
    the cap is not used up and the estimate fits in what is left."""
    return used < cap and used + estimate <= cap


# --- refusals ---------------------------------------------------------------------------


def rate_refusal(
    limit: Literal["rpm", "tpm"], scope: Scope, allowed: int, wait_us: int, now: float
) -> Refusal:
    """Refusal by a per-minute rate; `wait_us` is rounded up to whole seconds (at least 1)."""
    seconds = max(1, -(-wait_us // SECOND_US))
    unit, per = _RATE_UNITS[limit]
    message = f"{_subject(scope)} allows {_count(allowed, unit)} {per}; try again in {seconds}s."
    return Refusal(limit, scope, allowed, seconds, now + wait_us / SECOND_US, message)


def busy_refusal(scope: Scope, allowed: int, now: float) -> Refusal:
    """Refusal because `allowed` requests of this scope are already running."""
    message = (
        f"{_subject(scope)} allows {_count(allowed, 'request')} at a time; "
        f"try again in {BUSY_RETRY_AFTER}s."
    )
    return Refusal("concurrency", scope, allowed, BUSY_RETRY_AFTER, now + BUSY_RETRY_AFTER, message)


def spend_refusal(
    limit: SpendWindow, scope: Scope, cap: int, used: int, resets_at: float | None
) -> Refusal:
    """Refusal by a spend cap with `used` micro-dollars spent or held in its window."""
    head = f"{_subject(scope, possessive=True)} {_WINDOW_WORDS[limit]} spend cap of "
    head += format_dollars(cap)
    if used >= cap:
        state = "is used up"
    else:
        state = f"has {format_dollars(cap - used)} left, less than this request may cost"
    message = f"{head} {state}{_WINDOW_RESETS[limit]}."
    return Refusal(limit, scope, cap, None, resets_at, message)


def worse(current: Refusal | None, other: Refusal) -> Refusal:
    """The refusal that binds longer: a spend cap (no retry) over any wait, then the longer
    wait; on a tie the one found first."""
    if current is None:
        return other
    if current.retry_after is None:
        return current
    if other.retry_after is None or other.retry_after > current.retry_after:
        return other
    return current


def _subject(scope: Scope, *, possessive: bool = False) -> str:
    plain, owned = _SUBJECTS.get(scope.kind, (f"This {scope.kind}", f"This {scope.kind}'s"))
    return owned if possessive else plain


def _count(amount: int, unit: str) -> str:
    return f"{amount:,} {unit}" + ("" if amount == 1 else "s")
