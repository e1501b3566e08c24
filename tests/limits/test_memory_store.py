"""The in-memory limit store, driven by a fake clock (epoch seconds passed to each call)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fourk.limits import Admission, Limits, LimitStore, MemoryLimitStore, Refusal, Scope, Snapshot

KEY = Scope("key", 1)
OTHER_KEY = Scope("key", 2)
USER = Scope("user", 1)
DOLLAR = 1_000_000


def epoch(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> float:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()


T0 = epoch(2026, 3, 31, 12)


def admitted(verdict: Admission | Refusal) -> Admission:
    assert isinstance(verdict, Admission), verdict
    return verdict


def refused(verdict: Admission | Refusal) -> Refusal:
    assert isinstance(verdict, Refusal), verdict
    return verdict


async def test_sixty_per_minute_refuses_the_sixty_first_with_a_correct_wait() -> None:
    store: LimitStore = MemoryLimitStore()
    rule = [(KEY, Limits(rpm=60))]
    for _ in range(60):
        admitted(await store.admit(rule, now=T0))
    refusal = refused(await store.admit(rule, now=T0 + 0.25))
    assert (refusal.limit, refusal.scope, refusal.retry_after) == ("rpm", KEY, 1)
    assert refusal.message == "This key allows 60 requests per minute; try again in 1s."
    refused(await store.admit(rule, now=T0 + 0.999))
    admitted(await store.admit(rule, now=T0 + 1))  # one more a second (GCRA) ...
    refused(await store.admit(rule, now=T0 + 1))
    for _ in range(60):  # ... and a whole minute's burst once the window has passed
        admitted(await store.admit(rule, now=T0 + 61))
    refused(await store.admit(rule, now=T0 + 61))


async def test_a_retry_after_the_given_wait_is_admitted() -> None:
    store = MemoryLimitStore()
    rule = [(KEY, Limits(rpm=7))]
    for _ in range(7):
        admitted(await store.admit(rule, now=T0))
    refusal = refused(await store.admit(rule, now=T0 + 2.5))
    assert refusal.retry_after == 7  # the 8th fits 60/7 = 8.57 s after T0: 6.07 s from now
    refused(await store.admit(rule, now=T0 + 8.57))
    admitted(await store.admit(rule, now=T0 + 8.58))
    refused(await store.admit(rule, now=T0 + 8.58))
    assert refused(await store.admit(rule, now=T0 + 9)).retry_after == 9  # 8.57 s more
    admitted(await store.admit(rule, now=T0 + 9 + 9))


async def test_tokens_are_counted_by_estimate_then_corrected() -> None:
    store = MemoryLimitStore()
    rule = [(KEY, Limits(tpm=1000))]
    first = admitted(await store.admit(rule, now=T0, tokens_estimate=800))
    refusal = refused(await store.admit(rule, now=T0, tokens_estimate=300))
    assert (refusal.limit, refusal.retry_after) == ("tpm", 6)  # 100 tokens over = 6 s
    assert refusal.message == "This key allows 1,000 tokens per minute; try again in 6s."
    await store.finish(first, now=T0 + 1, tokens_used=100)  # it used far less
    second = admitted(await store.admit(rule, now=T0 + 1, tokens_estimate=900))
    await store.finish(second, now=T0 + 2, tokens_used=1900)  # and this far more
    later = refused(await store.admit(rule, now=T0 + 2, tokens_estimate=1))
    # 2000 tokens counted since T0 reach T0 + 120 s; one more fits 0.06 s past T0 + 60 s
    assert later.retry_after == 59
    admitted(await store.admit(rule, now=T0 + 60.06, tokens_estimate=1))


async def test_a_request_larger_than_the_minute_starts_when_the_minute_is_clear() -> None:
    store = MemoryLimitStore()
    rule = [(KEY, Limits(tpm=1000))]
    big = admitted(await store.admit(rule, now=T0, tokens_estimate=50_000))
    refused(await store.admit(rule, now=T0, tokens_estimate=1))
    await store.finish(big, now=T0 + 5, tokens_used=3000)
    # 3000 tokens reach T0 + 180 s; one more fits at T0 + 120.06 s, 115.06 s from now
    assert refused(await store.admit(rule, now=T0 + 5)).retry_after == 116
    refused(await store.admit(rule, now=T0 + 120.05))
    admitted(await store.admit(rule, now=T0 + 5 + 116))


async def test_a_failed_request_gives_its_tokens_back() -> None:
    store = MemoryLimitStore()
    rule = [(KEY, Limits(tpm=1000))]
    failed = admitted(await store.admit(rule, now=T0, tokens_estimate=1000))
    refused(await store.admit(rule, now=T0, tokens_estimate=10))
    await store.finish(failed, now=T0)
    admitted(await store.admit(rule, now=T0, tokens_estimate=999))


async def test_finish_releases_a_concurrency_slot_once() -> None:
    store = MemoryLimitStore()
    rule = [(KEY, Limits(concurrency=2))]
    first = admitted(await store.admit(rule, now=T0))
    admitted(await store.admit(rule, now=T0))
    busy = refused(await store.admit(rule, now=T0))
    assert (busy.limit, busy.retry_after) == ("concurrency", 1)
    assert busy.message == "This key allows 2 requests at a time; try again in 1s."
    await store.finish(first, now=T0 + 1)
    await store.finish(first, now=T0 + 1)  # a second finish changes nothing
    assert (await store.snapshot(KEY, now=T0 + 1)).active == 1
    admitted(await store.admit(rule, now=T0 + 1))
    refused(await store.admit(rule, now=T0 + 1))


async def test_daily_cap_resets_at_utc_midnight() -> None:
    store = MemoryLimitStore()
    rule = [(KEY, Limits(spend_day=5 * DOLLAR))]
    run = admitted(await store.admit(rule, now=epoch(2026, 3, 31, 23), spend_estimate=DOLLAR))
    await store.finish(run, now=epoch(2026, 3, 31, 23, 30), spent=5 * DOLLAR)
    refusal = refused(await store.admit(rule, now=epoch(2026, 3, 31, 23, 59, 59)))
    assert (refusal.limit, refusal.retry_after) == ("spend_day", None)
    assert refusal.resets_at == epoch(2026, 4, 1)
    assert refusal.message == (
        "This key's daily spend cap of $5.00 is used up; it resets at 00:00 UTC."
    )
    admitted(await store.admit(rule, now=epoch(2026, 4, 1)))
    assert await store.snapshot(KEY, now=epoch(2026, 4, 1)) == Snapshot(1, 0, 0, 0, 5 * DOLLAR)


async def test_monthly_cap_resets_on_the_first() -> None:
    store = MemoryLimitStore()
    rule = [(KEY, Limits(spend_month=50 * DOLLAR))]
    run = admitted(await store.admit(rule, now=epoch(2026, 3, 2)))
    await store.finish(run, now=epoch(2026, 3, 2), spent=50 * DOLLAR)
    refusal = refused(await store.admit(rule, now=epoch(2026, 3, 31, 23, 59, 59)))
    assert (refusal.limit, refusal.resets_at) == ("spend_month", epoch(2026, 4, 1))
    assert refusal.message.endswith("is used up; it resets on the 1st at 00:00 UTC.")
    admitted(await store.admit(rule, now=epoch(2026, 4, 1)))


async def test_total_cap_never_resets() -> None:
    store = MemoryLimitStore()
    rule = [(KEY, Limits(spend_total=100 * DOLLAR))]
    run = admitted(await store.admit(rule, now=T0))
    await store.finish(run, now=T0, spent=100 * DOLLAR)
    for later in (T0 + 86_400, epoch(2027, 1, 1), epoch(2030, 6, 1)):
        refusal = refused(await store.admit(rule, now=later))
        assert (refusal.limit, refusal.retry_after, refusal.resets_at) == (
            "spend_total",
            None,
            None,
        )
    assert refusal.message == "This key's total spend cap of $100.00 is used up."


async def test_running_requests_hold_their_estimates_against_the_cap() -> None:
    store = MemoryLimitStore()
    rule = [(KEY, Limits(spend_day=5 * DOLLAR))]
    first = admitted(await store.admit(rule, now=T0, spend_estimate=3 * DOLLAR))
    refusal = refused(await store.admit(rule, now=T0, spend_estimate=3 * DOLLAR))
    assert refusal.message == (
        "This key's daily spend cap of $5.00 has $2.00 left, less than this request may cost; "
        "it resets at 00:00 UTC."
    )
    assert await store.snapshot(KEY, now=T0) == Snapshot(1, 3 * DOLLAR, 0, 0, 0)
    await store.finish(first, now=T0, spent=DOLLAR)  # it cost less than held
    assert await store.snapshot(KEY, now=T0) == Snapshot(0, 0, DOLLAR, DOLLAR, DOLLAR)
    admitted(await store.admit(rule, now=T0, spend_estimate=3 * DOLLAR))


async def test_a_failed_request_spends_nothing() -> None:
    store = MemoryLimitStore()
    rule = [(KEY, Limits(spend_total=DOLLAR, concurrency=1))]
    run = admitted(await store.admit(rule, now=T0, spend_estimate=DOLLAR))
    await store.finish(run, now=T0)
    await store.finish(run, now=T0, spent=DOLLAR)  # ignored: already finished
    assert await store.snapshot(KEY, now=T0) == Snapshot(0, 0, 0, 0, 0)
    admitted(await store.admit(rule, now=T0, spend_estimate=DOLLAR))


async def test_spend_is_seeded_from_the_ledger() -> None:
    store = MemoryLimitStore()
    await store.load_spent(KEY, now=T0, day=2 * DOLLAR, month=40 * DOLLAR, total=90 * DOLLAR)
    day = refused(await store.admit([(KEY, Limits(spend_day=2 * DOLLAR))], now=T0))
    assert day.limit == "spend_day"
    month = refused(await store.admit([(KEY, Limits(spend_month=40 * DOLLAR))], now=T0))
    assert month.limit == "spend_month"
    total = Limits(spend_total=91 * DOLLAR)
    refused(await store.admit([(KEY, total)], now=T0, spend_estimate=2 * DOLLAR))
    midnight = epoch(2026, 4, 1)  # a new day and a new month, but the same total
    admitted(await store.admit([(KEY, Limits(spend_day=2 * DOLLAR))], now=midnight))
    admitted(await store.admit([(KEY, Limits(spend_month=40 * DOLLAR))], now=midnight))
    refused(await store.admit([(KEY, total)], now=midnight, spend_estimate=2 * DOLLAR))
    admitted(await store.admit([(KEY, total)], now=midnight, spend_estimate=DOLLAR))


async def test_key_and_user_are_both_checked_and_a_refusal_counts_in_neither() -> None:
    store = MemoryLimitStore()
    user = (USER, Limits(rpm=2))
    first_key = [(KEY, Limits(rpm=5)), user]
    second_key = [(OTHER_KEY, Limits(rpm=1)), user]
    admitted(await store.admit(first_key, now=T0))
    admitted(await store.admit(first_key, now=T0))
    refusal = refused(await store.admit(second_key, now=T0))  # the user's limit is stricter
    assert (refusal.scope, refusal.limit, refusal.retry_after) == (USER, "rpm", 30)
    assert refusal.message == "Your account allows 2 requests per minute; try again in 30s."
    assert (await store.snapshot(OTHER_KEY, now=T0)).active == 0
    # the refused attempt did not use the second key's one request a minute
    admitted(await store.admit(second_key, now=T0 + 30))
    refused(await store.admit(second_key, now=T0 + 60))  # the key's own limit now binds


async def test_the_stricter_refusal_is_reported() -> None:
    store = MemoryLimitStore()
    rules = [(KEY, Limits(rpm=60)), (USER, Limits(tpm=100))]
    admitted(await store.admit(rules, now=T0, tokens_estimate=100))
    for _ in range(59):
        admitted(await store.admit([(KEY, Limits(rpm=60))], now=T0))
    refusal = refused(await store.admit(rules, now=T0, tokens_estimate=50))
    assert (refusal.scope, refusal.limit, refusal.retry_after) == (USER, "tpm", 30)
    capped = [(KEY, Limits(rpm=60)), (USER, Limits(spend_total=0))]
    assert refused(await store.admit(capped, now=T0)).limit == "spend_total"


async def test_idle_scopes_are_forgotten_and_busy_ones_kept() -> None:
    store = MemoryLimitStore(idle_for=600)
    running = admitted(await store.admit([(Scope("key", "busy"), Limits())], now=T0))
    for index in range(20):
        run = admitted(await store.admit([(Scope("key", index), Limits(rpm=1))], now=T0))
        await store.finish(run, now=T0)
    assert len(store) == 21
    for step in range(10):
        await store.admit([(KEY, Limits())], now=T0 + 601 + step)
    assert len(store) == 2  # the running request's scope and KEY
    assert (await store.snapshot(Scope("key", "busy"), now=T0 + 700)).active == 1
    await store.finish(running, now=T0 + 700)
    await store.admit([(KEY, Limits())], now=T0 + 1301)
    assert len(store) == 1


async def test_a_scope_in_token_debt_is_kept_until_it_recovers() -> None:
    store = MemoryLimitStore(idle_for=60)
    rule = [(KEY, Limits(tpm=100))]
    run = admitted(await store.admit(rule, now=T0, tokens_estimate=100))
    await store.finish(run, now=T0, tokens_used=10_000)  # 100 minutes' worth
    for step in range(3):
        await store.admit([(OTHER_KEY, Limits())], now=T0 + 120 + step)
    assert refused(await store.admit(rule, now=T0 + 200)).limit == "tpm"


async def test_negative_amounts_are_rejected() -> None:
    store = MemoryLimitStore()
    with pytest.raises(ValueError):
        await store.admit([(KEY, Limits())], now=T0, tokens_estimate=-1)
    run = admitted(await store.admit([(KEY, Limits())], now=T0))
    with pytest.raises(ValueError):
        await store.finish(run, now=T0, spent=-1)
    with pytest.raises(ValueError):
        await store.load_spent(KEY, now=T0, day=-1, month=0, total=0)


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("admit"), st.integers(0, 2), st.floats(0, 5)),
        st.tuples(st.just("finish"), st.integers(0, 50), st.floats(0, 5)),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(operations=OPERATIONS, key_slots=st.integers(1, 3), user_slots=st.integers(1, 4))
async def test_concurrency_never_exceeds_the_limit_nor_goes_negative(
    operations: list[tuple[str, int, float]], key_slots: int, user_slots: int
) -> None:
    store = MemoryLimitStore(idle_for=1)
    keys = [Scope("key", index) for index in range(3)]
    user = (USER, Limits(concurrency=user_slots))
    handles: list[Admission] = []
    now = T0
    for action, index, gap in operations:
        now += gap
        if action == "admit":
            verdict = await store.admit(
                [(keys[index], Limits(concurrency=key_slots)), user], now=now
            )
            if isinstance(verdict, Admission):
                handles.append(verdict)
        elif handles:
            await store.finish(handles[index % len(handles)], now=now)  # maybe again
        open_ = [h for h in handles if not h.finished]
        for key in keys:
            active = (await store.snapshot(key, now=now)).active
            assert 0 <= active <= key_slots
            assert active == sum(1 for h in open_ if h.scopes[0][0] == key)
        assert (await store.snapshot(USER, now=now)).active == len(open_) <= user_slots
