"""Channel order (priority, weights, cool-downs) and the cool-down bookkeeping."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from fourk.routing.channel import Channel
from fourk.routing.health import ChannelHealth
from fourk.routing.select import order_candidates

DRAWS = 20_000


def channel(id: int, priority: int = 0, weight: int = 1) -> Channel:
    return Channel(
        id=id,
        name=f"c{id}",
        kind="sim",
        base_url="http://upstream.invalid",
        models=("m",),
        priority=priority,
        weight=weight,
    )


def ids(channels: list[Channel]) -> list[int]:
    return [c.id for c in channels]


def lead_shares(channels: list[Channel], seed: int = 1234) -> dict[int, float]:
    rng = random.Random(seed)
    leads = Counter(order_candidates(channels, rng)[0].id for _ in range(DRAWS))
    return {c.id: leads[c.id] / DRAWS for c in channels}


def test_empty_and_single() -> None:
    rng = random.Random(0)
    assert order_candidates([], rng) == []
    assert ids(order_candidates([channel(1)], rng)) == [1]


def test_higher_priority_always_first() -> None:
    channels = [channel(1, priority=0), channel(2, priority=10), channel(3, priority=5)]
    rng = random.Random(7)
    for _ in range(200):
        assert ids(order_candidates(channels, rng)) == [2, 3, 1]


def test_priority_tiers_are_shuffled_within_but_never_across() -> None:
    channels = [channel(i, priority=i % 2) for i in range(1, 9)]
    rng = random.Random(3)
    orders = set()
    for _ in range(300):
        order = ids(order_candidates(channels, rng))
        assert sorted(order) == list(range(1, 9))
        assert set(order[:4]) == {1, 3, 5, 7}
        assert set(order[4:]) == {2, 4, 6, 8}
        orders.add(tuple(order))
    assert len(orders) > 50  # it really is shuffled


def test_weight_three_to_one_leads_three_quarters_of_the_time() -> None:
    shares = lead_shares([channel(1, weight=3), channel(2, weight=1)])
    assert shares[1] == pytest.approx(0.75, abs=0.02)


def test_equal_weights_share_evenly() -> None:
    shares = lead_shares([channel(i, weight=5) for i in range(1, 5)])
    for share in shares.values():
        assert share == pytest.approx(0.25, abs=0.02)


def test_lead_share_is_proportional_to_weight() -> None:
    shares = lead_shares([channel(1, weight=1), channel(2, weight=2), channel(3, weight=7)])
    assert shares[1] == pytest.approx(0.1, abs=0.015)
    assert shares[2] == pytest.approx(0.2, abs=0.02)
    assert shares[3] == pytest.approx(0.7, abs=0.02)


def test_same_seed_same_order() -> None:
    channels = [channel(i, weight=i) for i in range(1, 7)]
    first = [ids(order_candidates(channels, random.Random(99))) for _ in range(3)]
    assert first[0] == first[1] == first[2]


@pytest.mark.parametrize("zero", [0, -3])
def test_weight_zero_or_less_goes_last_in_its_tier(zero: int) -> None:
    channels = [channel(1, weight=zero), channel(2, weight=1), channel(3, weight=50)]
    rng = random.Random(5)
    for _ in range(500):
        assert ids(order_candidates(channels, rng))[-1] == 1


def test_weight_zero_stays_within_its_priority_tier() -> None:
    channels = [channel(1, priority=9, weight=0), channel(2, priority=1, weight=100)]
    assert ids(order_candidates(channels, random.Random(0))) == [1, 2]


def test_cooling_channels_go_last_by_recovery_time() -> None:
    channels = [
        channel(1, priority=100),
        channel(2, priority=0),
        channel(3, priority=50),
        channel(4, priority=-5),
    ]
    cooling = {1: 130.0, 3: 110.0}
    rng = random.Random(1)
    assert ids(order_candidates(channels, rng, cooling, now=100.0)) == [2, 4, 3, 1]


def test_cooling_ends_at_its_deadline() -> None:
    channels = [channel(1, priority=5), channel(2)]
    cooling = {1: 50.0}
    rng = random.Random(1)
    assert ids(order_candidates(channels, rng, cooling, now=49.9)) == [2, 1]
    assert ids(order_candidates(channels, rng, cooling, now=50.0)) == [1, 2]
    assert ids(order_candidates(channels, rng, {}, now=49.9)) == [1, 2]


def test_all_cooling_still_gives_every_channel() -> None:
    channels = [channel(1), channel(2), channel(3)]
    cooling = {1: 30.0, 2: 10.0, 3: 20.0}
    assert ids(order_candidates(channels, random.Random(0), cooling, now=0.0)) == [2, 3, 1]


def test_cooling_entries_for_unknown_channels_are_ignored() -> None:
    channels = [channel(1), channel(2, priority=1)]
    order = order_candidates(channels, random.Random(0), {42: 1e9}, now=0.0)
    assert ids(order) == [2, 1]


def test_health_uses_the_default_cooldown() -> None:
    health = ChannelHealth(cooldown_seconds=10.0)
    health.failed(1, now=100.0)
    assert health.cooling_until == {1: 110.0}


@pytest.mark.parametrize("retry_after", [None, 0.0, -5.0])
def test_health_ignores_unusable_retry_after(retry_after: float | None) -> None:
    health = ChannelHealth(cooldown_seconds=10.0)
    health.failed(1, now=100.0, retry_after=retry_after)
    assert health.cooling_until == {1: 110.0}


def test_health_longer_retry_after_wins() -> None:
    health = ChannelHealth(cooldown_seconds=10.0)
    health.failed(1, now=100.0, retry_after=60.0)
    assert health.cooling_until == {1: 160.0}


def test_health_shorter_retry_after_does_not_cut_the_cooldown() -> None:
    health = ChannelHealth(cooldown_seconds=10.0)
    health.failed(1, now=100.0, retry_after=1.0)
    assert health.cooling_until == {1: 110.0}


def test_health_never_shortens_an_existing_cooldown() -> None:
    health = ChannelHealth(cooldown_seconds=10.0)
    health.failed(1, now=100.0, retry_after=120.0)
    health.failed(1, now=101.0)
    assert health.cooling_until == {1: 220.0}
    health.failed(1, now=300.0)
    assert health.cooling_until == {1: 310.0}


def test_health_success_clears_only_that_channel() -> None:
    health = ChannelHealth(cooldown_seconds=10.0)
    health.failed(1, now=0.0)
    health.failed(2, now=0.0)
    health.succeeded(1)
    health.succeeded(3)  # never failed: nothing to do
    assert health.cooling_until == {2: 10.0}


def test_health_feeds_the_order() -> None:
    health = ChannelHealth(cooldown_seconds=10.0)
    channels = [channel(1, priority=2), channel(2, priority=1)]
    health.failed(1, now=0.0)
    rng = random.Random(0)
    assert ids(order_candidates(channels, rng, health.cooling_until, now=5.0)) == [2, 1]
    assert ids(order_candidates(channels, rng, health.cooling_until, now=10.0)) == [1, 2]
    health.failed(1, now=10.0)
    health.succeeded(1)
    assert ids(order_candidates(channels, rng, health.cooling_until, now=10.0)) == [1, 2]
