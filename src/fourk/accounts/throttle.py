"""How many wrong guesses are allowed (pure): a sliding window of failures, then lockouts
that double each time.

`Attempts` is what is remembered for one account or one client address. Failures older than
the policy's window are forgotten. When a failure brings the count in the window to the
limit, the subject is locked out for `first_lock`. After that, each further failure locks
it again for twice as long as the time before, up to `longest_lock`: with `relock`, every
failure does (so a patient guesser gets one try per lockout, not `limit`); without it, only
while the window still holds `limit` failures (kinder to an address many people share). The
number of lockouts ("strikes") is forgotten after `memory` without a failure, or when the
right secret is given. The clock is always passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

_NO_WAIT = timedelta(0)


@dataclass(frozen=True, slots=True)
class Policy:
    limit: int  # failures in `window` that lock
    window: timedelta
    first_lock: timedelta
    longest_lock: timedelta
    memory: timedelta = timedelta(days=1)  # strikes are forgotten after this long
    relock: bool = True  # once locked, every failure locks again (not only `limit` in window)


ACCOUNT_POLICY = Policy(
    limit=5,
    window=timedelta(minutes=15),
    first_lock=timedelta(minutes=1),
    longest_lock=timedelta(hours=1),
)
ADDRESS_POLICY = Policy(
    limit=20,
    window=timedelta(minutes=15),
    first_lock=timedelta(minutes=1),
    longest_lock=timedelta(hours=1),
    relock=False,
)


@dataclass(frozen=True, slots=True)
class Attempts:
    failures: tuple[datetime, ...] = ()  # the most recent, at most `limit` of them
    strikes: int = 0
    locked_until: datetime | None = None


def wait(attempts: Attempts | None, now: datetime) -> timedelta:
    """How long the subject must wait before the next attempt (zero: go ahead)."""
    if attempts is None or attempts.locked_until is None or attempts.locked_until <= now:
        return _NO_WAIT
    return attempts.locked_until - now


def lock_length(policy: Policy, strikes: int) -> timedelta:
    """The length of the `strikes`-th lockout: first_lock, doubled each time, capped."""
    doubled = policy.first_lock * (1 << min(max(strikes - 1, 0), 30))
    return min(doubled, policy.longest_lock)


def fail(policy: Policy, attempts: Attempts | None, now: datetime) -> Attempts:
    """The record after one more failure at `now`."""
    before = attempts or Attempts()
    recent = (*tuple(t for t in before.failures if now - t < policy.window), now)
    remembered = bool(before.failures) and now - before.failures[-1] < policy.memory
    strikes = before.strikes if remembered else 0
    if len(recent) < policy.limit and not (policy.relock and strikes):
        return Attempts(recent, strikes, before.locked_until)
    strikes += 1
    return Attempts(recent[-policy.limit :], strikes, now + lock_length(policy, strikes))


def keep_for(policy: Policy) -> timedelta:
    """How long a record can still matter after its last change."""
    return max(policy.memory, policy.window, policy.longest_lock)


def seconds_to_wait(delay: timedelta) -> int:
    """A wait in whole seconds, rounded up (what Retry-After and the page say)."""
    whole = int(delay.total_seconds())
    return whole + (1 if delay.total_seconds() > whole else 0)
