"""The lockout math: a window of failures, doubling lockouts, forgetting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fourk.accounts import throttle
from fourk.accounts.throttle import ACCOUNT_POLICY, ADDRESS_POLICY, Attempts, Policy

T0 = datetime(2026, 1, 1, tzinfo=UTC)
POLICY = Policy(
    limit=5,
    window=timedelta(minutes=15),
    first_lock=timedelta(minutes=1),
    longest_lock=timedelta(hours=1),
    memory=timedelta(days=1),
)


def fail_times(times: list[datetime], policy: Policy = POLICY) -> Attempts | None:
    record: Attempts | None = None
    for moment in times:
        record = throttle.fail(policy, record, moment)
    return record


def test_nothing_remembered_means_no_wait() -> None:
    assert throttle.wait(None, T0) == timedelta(0)
    assert throttle.wait(Attempts(), T0) == timedelta(0)


def test_four_failures_do_not_lock_the_fifth_does() -> None:
    four = fail_times([T0 + timedelta(seconds=i) for i in range(4)])
    assert throttle.wait(four, T0 + timedelta(seconds=4)) == timedelta(0)
    five = throttle.fail(POLICY, four, T0 + timedelta(seconds=4))
    assert five.strikes == 1
    assert throttle.wait(five, T0 + timedelta(seconds=4)) == timedelta(minutes=1)
    assert throttle.wait(five, T0 + timedelta(seconds=34)) == timedelta(seconds=30)
    assert throttle.wait(five, T0 + timedelta(seconds=64)) == timedelta(0)


def test_each_failure_after_a_lockout_doubles_the_wait_up_to_the_cap() -> None:
    record = fail_times([T0] * 5)
    now = T0
    waits = []
    for _ in range(10):
        now += throttle.wait(record, now)  # the guesser waits out each lockout
        record = throttle.fail(POLICY, record, now)
        waits.append(throttle.wait(record, now))
    minutes = [w // timedelta(minutes=1) for w in waits]
    assert minutes == [2, 4, 8, 16, 32, 60, 60, 60, 60, 60]


def test_failures_spread_wider_than_the_window_never_lock() -> None:
    record = fail_times([T0 + timedelta(minutes=4 * i) for i in range(20)])
    assert record is not None and record.strikes == 0
    assert throttle.wait(record, T0 + timedelta(minutes=80)) == timedelta(0)


def test_without_relock_a_quiet_window_frees_the_subject_again() -> None:
    shared = Policy(
        5, timedelta(minutes=15), timedelta(minutes=1), timedelta(hours=1), relock=False
    )
    record = fail_times([T0] * 5, shared)
    later = T0 + timedelta(minutes=20)
    record = throttle.fail(shared, record, later)
    assert throttle.wait(record, later) == timedelta(0)  # one failure in the window
    for _ in range(4):
        record = throttle.fail(shared, record, later)
    assert record.strikes == 2 and throttle.wait(record, later) == timedelta(minutes=2)


def test_strikes_are_forgotten_after_a_quiet_day() -> None:
    record = fail_times([T0] * 6)
    assert record is not None and record.strikes == 2
    later = T0 + timedelta(days=2)
    after = record
    for _ in range(5):
        after = throttle.fail(POLICY, after, later)
    assert after.strikes == 1 and throttle.wait(after, later) == timedelta(minutes=1)


def test_after_a_lockout_one_more_failure_locks_again_for_longer() -> None:
    record = fail_times([T0] * 5)  # one strike
    later = T0 + timedelta(hours=2)  # the window has emptied, the strike is remembered
    record = throttle.fail(POLICY, record, later)
    assert record.strikes == 2 and throttle.wait(record, later) == timedelta(minutes=2)


def test_the_record_stays_small() -> None:
    record = fail_times([T0 + timedelta(seconds=i) for i in range(100)])
    assert record is not None and len(record.failures) == POLICY.limit


def test_lock_length_caps_huge_strike_counts() -> None:
    assert throttle.lock_length(POLICY, 1) == timedelta(minutes=1)
    assert throttle.lock_length(POLICY, 10_000) == timedelta(hours=1)


def test_default_policies_allow_more_per_address_than_per_account() -> None:
    assert ACCOUNT_POLICY.limit == 5 and ADDRESS_POLICY.limit == 20
    assert ACCOUNT_POLICY.relock and not ADDRESS_POLICY.relock
    assert ACCOUNT_POLICY.window == ADDRESS_POLICY.window == timedelta(minutes=15)
    assert throttle.keep_for(ACCOUNT_POLICY) >= ACCOUNT_POLICY.window


def test_seconds_to_wait_rounds_up() -> None:
    assert throttle.seconds_to_wait(timedelta(0)) == 0
    assert throttle.seconds_to_wait(timedelta(seconds=59, microseconds=1)) == 60
    assert throttle.seconds_to_wait(timedelta(minutes=2)) == 120
