"""Redemption codes: their format, batches stored as digests, redeeming exactly once (also
when many people race with one code), expiry, throttled guesses, and the ledger summing to
every balance after each scenario."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fourk.accounts.attempt_store import MemoryAttemptStore
from fourk.errors import RateLimited
from fourk.sealer import Sealer
from fourk.services.accounts import create_user
from fourk.services.login_throttle import LoginThrottle
from fourk.services.redemption import Redeemer, create_batch
from fourk.services.redemption_code import (
    ALPHABET,
    BatchRequest,
    check_batch,
    digest,
    looks_like_code,
    new_code,
    normalize,
)
from fourk.services.store_bundle import Store, build_store
from fourk.store.db import create_engine, migrate
from fourk.store.redemption_codes import CodeRefused
from tests.support.processes import fourk_cli

TEN_DOLLARS = 10_000_000


# ---- pure: the codes themselves -------------------------------------------------------------


def test_a_code_has_a_hundred_random_bits_in_groups_of_four() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        groups = code.split("-")
        assert [len(g) for g in groups] == [4] * 5
        assert all(c in ALPHABET for c in "".join(groups))
        assert looks_like_code(code)
    assert len(ALPHABET) == 32  # 20 symbols × 5 bits = 100 bits


def test_typed_codes_are_read_generously() -> None:
    code = "7KQ2-M9XD-0A1B-CDEF-GHJK"
    assert normalize(" 7kq2 m9xd-oaib cdef\tghjk ") == "7KQ2M9XD0A1BCDEFGHJK"  # O→0, I→1
    assert digest("7kq2m9xd-0alb-cdef-ghjk") == digest(code)  # l→1
    assert digest(code) != digest(code.replace("K", "M", 1))
    assert not looks_like_code("7KQ2-M9XD")
    assert not looks_like_code(code + "-U")  # U is not in the alphabet and too long


def test_batch_requests_are_checked() -> None:
    assert check_batch(BatchRequest(1, 1, None, "  launch   promo ")).label == "launch promo"
    for bad in (
        BatchRequest(0, TEN_DOLLARS),
        BatchRequest(1001, TEN_DOLLARS),
        BatchRequest(1, 0),
        BatchRequest(1, -5),
        BatchRequest(1, TEN_DOLLARS, days=0),
        BatchRequest(1, TEN_DOLLARS, label="x" * 65),
    ):
        with pytest.raises(ValueError):
            check_batch(bad)


# ---- the store and the service ----------------------------------------------------------


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'fourk.db'}")
    await migrate(engine)
    yield build_store(engine, Sealer(b"k" * 32))
    await engine.dispose()


def redeemer(store: Store) -> Redeemer:
    now = lambda: datetime.now(UTC)  # noqa: E731
    return Redeemer(store, LoginThrottle(MemoryAttemptStore(now), now), None)


async def user_id(store: Store, name: str) -> int:
    user, _ = await create_user(store, name, password="a long enough password")
    return user.id


async def consistent(store: Store) -> None:
    assert await store.ledger.mismatches() == {}


async def test_codes_are_stored_as_digests_and_redeem_once(store: Store, tmp_path: Path) -> None:
    alice = await user_id(store, "alice")
    made = await create_batch(store, None, BatchRequest(3, TEN_DOLLARS, label="launch"))
    assert made.label == "launch" and len(set(made.codes)) == 3
    with sqlite3.connect(tmp_path / "fourk.db") as db:
        stored = [row[0] for row in db.execute("SELECT code FROM redemption_codes")]
    assert sorted(stored) == sorted(digest(c) for c in made.codes)
    assert not any(c in s or normalize(c) in s for c in made.codes for s in stored)

    done = await redeemer(store).redeem(alice, made.codes[0].lower(), "10.0.0.1")
    assert (done.amount, done.balance, done.batch) == (TEN_DOLLARS, TEN_DOLLARS, "launch")
    with pytest.raises(CodeRefused) as again:
        await redeemer(store).redeem(alice, made.codes[0], "10.0.0.1")
    assert again.value.reason == "used"
    assert await store.ledger.balance(alice) == TEN_DOLLARS
    (entry,) = await store.ledger.history(alice)
    assert entry.kind == "redeem" and entry.amount == TEN_DOLLARS
    assert entry.reason == f"code #{done.code_id}"  # the label is the operator's note
    await consistent(store)


async def test_expired_unknown_and_malformed_codes_are_refused(store: Store) -> None:
    alice = await user_id(store, "alice")
    past = datetime.now(UTC) - timedelta(days=2)
    old = await create_batch(store, None, BatchRequest(1, TEN_DOLLARS, days=1), now=past)
    for typed, reason in (
        (old.codes[0], "expired"),
        (new_code(), "unknown"),
        ("not a code", "malformed"),
    ):
        with pytest.raises(CodeRefused) as refused:
            await redeemer(store).redeem(alice, typed, None)
        assert refused.value.reason == reason, typed
    assert await store.ledger.balance(alice) == 0
    (batch,) = await store.redemption_codes.batches(datetime.now(UTC))
    assert (batch.count, batch.redeemed, batch.expired) == (1, 0, 1)
    await consistent(store)


async def test_many_people_racing_with_one_code_get_it_once(store: Store) -> None:
    people = [await user_id(store, f"racer{i}") for i in range(8)]
    (code,) = (await create_batch(store, None, BatchRequest(1, TEN_DOLLARS))).codes
    service = redeemer(store)

    async def attempt(person: int) -> str:
        try:
            await service.redeem(person, code, None)
        except CodeRefused as refused:
            return refused.reason
        return "ok"

    outcomes = await asyncio.gather(*(attempt(p) for p in people * 2))
    assert outcomes.count("ok") == 1 and set(outcomes) == {"ok", "used"}
    balances = await store.ledger.balances()
    assert sorted(balances[p] for p in people) == [0] * 7 + [TEN_DOLLARS]
    (record,) = await store.redemption_codes.in_batch(
        (await store.redemption_codes.batches(datetime.now(UTC)))[0].batch
    )
    assert record.redeemed_by in people and balances[record.redeemed_by] == TEN_DOLLARS
    await consistent(store)


async def test_wrong_guesses_are_throttled_per_user(store: Store) -> None:
    alice, bob = await user_id(store, "alice"), await user_id(store, "bob")
    (good,) = (await create_batch(store, None, BatchRequest(1, TEN_DOLLARS))).codes
    service = redeemer(store)
    for _ in range(5):
        with pytest.raises(CodeRefused):
            await service.redeem(alice, new_code(), None)
    with pytest.raises(RateLimited) as limited:
        await service.redeem(alice, good, None)  # even the right code waits
    assert limited.value.retry_after and limited.value.retry_after > 0
    assert (await service.redeem(bob, good, None)).balance == TEN_DOLLARS  # others are not locked
    await consistent(store)


async def test_batch_labels_are_unique_and_expiry_is_in_the_future(store: Store) -> None:
    await create_batch(store, None, BatchRequest(1, TEN_DOLLARS, label="once"))
    with pytest.raises(ValueError, match="already a batch"):
        await create_batch(store, None, BatchRequest(1, TEN_DOLLARS, label="once"))
    past = datetime.now(UTC) - timedelta(hours=1)
    with pytest.raises(ValueError, match="future"):
        await create_batch(store, None, BatchRequest(1, TEN_DOLLARS), expires_at=past)


# ---- the command line -----------------------------------------------------------------------


def test_codes_and_prices_from_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    fourk_cli(data, "migrate")
    made = fourk_cli(
        data, "code", "create", "--count", "2", "--value", "10", "--expires", "30d",
        "--batch", "cli batch",
    )  # fmt: skip
    codes = made.stdout.split()
    assert len(codes) == 2 and all(looks_like_code(c) for c in codes)
    assert "2 codes of $10.00" in made.stderr and "expiring" in made.stderr
    listed = fourk_cli(data, "code", "list").stdout
    assert "cli batch\t$10.00\t2\t0 redeemed" in listed and codes[0] not in listed
    again = fourk_cli(data, "code", "create", "--value", "1", "--batch", "cli batch", check=False)
    assert again.returncode != 0 and "already a batch" in again.stderr

    fourk_cli(data, "price", "set", "gpt-5-codex", "--input", "1.5", "--output", "12")
    prices = fourk_cli(data, "price", "list").stdout
    assert (
        "gpt-5-codex\tinput $1.50, cached $1.50, output $12.00, cache write as input per "
        "million tokens\toperator\tnot served"
    ) in prices
    bad = fourk_cli(data, "price", "set", "x", "--input", "one", "--output", "1", check=False)
    assert bad.returncode != 0 and "not an amount of dollars" in bad.stderr
    fourk_cli(data, "price", "reset", "gpt-5-codex")
    assert "gpt-5-codex" not in fourk_cli(data, "price", "list").stdout
