"""Cool-downs for channels that just failed, so retries stop hammering them.

State lives in the instance (one per app); the clock is passed in by the caller.
"""

from __future__ import annotations


class ChannelHealth:
    __slots__ = ("_cooldown", "_until")

    def __init__(self, cooldown_seconds: float = 10.0) -> None:
        self._cooldown = cooldown_seconds
        self._until: dict[int, float] = {}

    @property
    def cooling_until(self) -> dict[int, float]:
        return self._until

    def failed(self, channel_id: int, now: float, retry_after: float | None = None) -> None:
        wait = max(self._cooldown, retry_after or 0.0)
        self._until[channel_id] = max(self._until.get(channel_id, 0.0), now + wait)

    def succeeded(self, channel_id: int) -> None:
        self._until.pop(channel_id, None)
