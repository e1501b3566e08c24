"""Ordering the channels that serve a model: priority tiers, weights, and cool-downs.

Pure: the random source and the current time are passed in.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from fourk.routing.channel import Channel


def order_candidates(
    channels: Sequence[Channel],
    rng: random.Random,
    cooling_until: Mapping[int, float] | None = None,
    now: float = 0.0,
) -> list[Channel]:
    """Healthy channels first; within each group higher priority first; within a priority
    a weighted random order (each channel's chance to lead is proportional to its weight).
    Cooling channels are not dropped: they go last, as a last resort."""
    cooling_until = cooling_until or {}
    if len(channels) == 1:
        return [channels[0]]
    healthy = [c for c in channels if cooling_until.get(c.id, 0.0) <= now]
    cooling = [c for c in channels if cooling_until.get(c.id, 0.0) > now]
    return _by_priority(healthy, rng) + sorted(cooling, key=lambda c: cooling_until[c.id])


def _by_priority(channels: Sequence[Channel], rng: random.Random) -> list[Channel]:
    ordered: list[Channel] = []
    for priority in sorted({c.priority for c in channels}, reverse=True):
        tier = [c for c in channels if c.priority == priority]
        ordered.extend(_weighted_shuffle(tier, rng))
    return ordered


def _weighted_shuffle(channels: list[Channel], rng: random.Random) -> list[Channel]:
    if len(channels) < 2:
        return channels

    # Efraimidis–Spirakis: sort by u^(1/w) descending; a weight of 0 or less always goes last.
    def key(channel: Channel) -> float:
        if channel.weight <= 0:
            return -1.0
        return float(rng.random() ** (1.0 / channel.weight))

    return sorted(channels, key=key, reverse=True)
