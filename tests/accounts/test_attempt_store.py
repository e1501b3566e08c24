"""The in-memory attempt store: atomic updates, expiry, a bounded size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fourk.accounts.attempt_store import AttemptStore, MemoryAttemptStore


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_update_returns_before_and_after() -> None:
    store: AttemptStore[int] = MemoryAttemptStore(Clock())
    assert await store.get("a") is None
    assert await store.update("a", lambda b: (b or 0) + 1, timedelta(minutes=1)) == (None, 1)
    assert await store.update("a", lambda b: (b or 0) + 1, timedelta(minutes=1)) == (1, 2)
    assert await store.get("a") == 2
    await store.delete("a")
    await store.delete("a")  # deleting nothing is fine
    assert await store.get("a") is None


async def test_values_expire() -> None:
    clock = Clock()
    store: MemoryAttemptStore[int] = MemoryAttemptStore(clock)
    await store.update("a", lambda b: 7, timedelta(seconds=10))
    clock.now += timedelta(seconds=9)
    assert await store.get("a") == 7
    clock.now += timedelta(seconds=1)
    assert await store.get("a") is None
    assert len(store) == 0


async def test_expired_records_are_swept_and_size_is_bounded() -> None:
    clock = Clock()
    store: MemoryAttemptStore[int] = MemoryAttemptStore(clock, max_entries=3)
    for name in "abcd":
        await store.update(name, lambda b: 1, timedelta(minutes=1))
    assert len(store) == 3 and await store.get("a") is None  # the oldest went first
    clock.now += timedelta(minutes=2)
    await store.update("e", lambda b: 1, timedelta(minutes=1))
    assert len(store) == 1


async def test_a_touched_record_is_kept_over_older_ones() -> None:
    store: MemoryAttemptStore[int] = MemoryAttemptStore(Clock(), max_entries=2)
    await store.update("victim", lambda b: 1, timedelta(hours=1))
    await store.update("other", lambda b: 1, timedelta(hours=1))
    await store.update("victim", lambda b: 2, timedelta(hours=1))
    await store.update("new", lambda b: 1, timedelta(hours=1))
    assert await store.get("victim") == 2 and await store.get("other") is None
