"""The login throttle's bookkeeping: account and address counters, reset on success."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fourk.accounts.attempt_store import MemoryAttemptStore
from fourk.accounts.throttle import Attempts
from fourk.services.login_throttle import CODE, PASSWORD, LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def make() -> tuple[LoginThrottle, Clock]:
    clock = Clock()
    store: MemoryAttemptStore[Attempts] = MemoryAttemptStore(clock)
    return LoginThrottle(store, clock), clock


async def test_five_wrong_passwords_lock_the_account_for_a_minute() -> None:
    throttle, clock = make()
    for _ in range(4):
        assert await throttle.failed(PASSWORD, "alice", "10.0.0.1") == 0
    assert await throttle.wait(PASSWORD, "alice", "10.0.0.1") == 0
    assert await throttle.failed(PASSWORD, "alice", "10.0.0.1") == 60
    assert await throttle.wait(PASSWORD, "alice", "10.0.0.2") == 60  # any address
    assert await throttle.wait(PASSWORD, "bob", "10.0.0.2") == 0  # other accounts are free
    assert await throttle.wait(CODE, "alice", "10.0.0.1") == 0  # codes count apart
    clock.now += timedelta(seconds=45)
    assert await throttle.wait(PASSWORD, "alice", None) == 15
    clock.now += timedelta(seconds=15)
    assert await throttle.wait(PASSWORD, "alice", None) == 0
    assert await throttle.failed(PASSWORD, "alice", None) == 120  # growing


async def test_success_clears_the_account_but_not_the_address() -> None:
    throttle, _ = make()
    for _ in range(4):
        await throttle.failed(PASSWORD, "alice", "10.0.0.1")
    await throttle.succeeded(PASSWORD, "alice")
    for _ in range(4):
        assert await throttle.failed(PASSWORD, "alice", "10.0.0.1") == 0
    for name in range(11):
        await throttle.failed(PASSWORD, f"user{name}", "10.0.0.1")
    # 4 + 4 + 11 = 19 failures from the address: one more locks it for every account
    assert await throttle.failed(PASSWORD, "someone", "10.0.0.1") == 60
    assert await throttle.wait(PASSWORD, "fresh", "10.0.0.1") == 60
    assert await throttle.wait(PASSWORD, "fresh", "10.0.0.9") == 0


async def test_spraying_one_password_over_many_accounts_is_stopped_by_the_address() -> None:
    throttle, _ = make()
    waits = [await throttle.failed(PASSWORD, f"user{n}", "203.0.113.7") for n in range(20)]
    assert waits[:19] == [0] * 19 and waits[19] == 60
