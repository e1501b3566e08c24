"""Where sign-in attempts are remembered: a small keyed store with expiry.

`AttemptStore` is the interface (a Redis one can stand in for several replicas: `update`
maps onto WATCH/MULTI or a script); `MemoryAttemptStore` keeps one process's records in a
bounded dict, the oldest dropped first, so a flood of made-up usernames cannot grow it
without end.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


class AttemptStore(Protocol[T]):
    async def get(self, key: str) -> T | None: ...

    async def update(
        self, key: str, change: Callable[[T | None], T], keep_for: timedelta
    ) -> tuple[T | None, T]:
        """Apply `change` to the value under `key` atomically; returns (before, after). The
        value expires `keep_for` after this change."""
        ...

    async def delete(self, key: str) -> None: ...


class MemoryAttemptStore(Generic[T]):
    """One process's records. Updates never await in between, so they are atomic."""

    def __init__(self, now: Callable[[], datetime], max_entries: int = 100_000) -> None:
        self._now = now
        self._max = max_entries
        self._entries: OrderedDict[str, tuple[datetime, T]] = OrderedDict()

    async def get(self, key: str) -> T | None:
        return self._live(key)

    async def update(
        self, key: str, change: Callable[[T | None], T], keep_for: timedelta
    ) -> tuple[T | None, T]:
        before = self._live(key)
        after = change(before)
        self._entries[key] = (self._now() + keep_for, after)
        self._entries.move_to_end(key)
        self._sweep()
        return before, after

    async def delete(self, key: str) -> None:
        self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)

    def _sweep(self) -> None:
        """Drop the oldest records while they are expired or there are too many."""
        now = self._now()
        while self._entries:
            expires, _ = next(iter(self._entries.values()))
            if expires > now and len(self._entries) <= self._max:
                return
            self._entries.popitem(last=False)

    def _live(self, key: str) -> T | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires <= self._now():
            del self._entries[key]
            return None
        return value
