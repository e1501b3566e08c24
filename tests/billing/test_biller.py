"""The biller against a real store: repair at start, the wallet, and OpenAI usage shapes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson

from fourk.billing.default_prices import DEFAULT_PRICES
from fourk.billing.pricing import cost_of
from fourk.billing.wallet import MemoryWallet
from fourk.protocols.responses.stream import decode_usage
from fourk.services import accounts
from fourk.services.billing import Biller
from fourk.services.directory import Directory
from fourk.services.store_bundle import open_store
from fourk.settings import Settings
from fourk.store.meta import config_version


async def test_start_repairs_a_balance_from_the_ledger_and_loads_the_wallet(
    tmp_path: Path,
) -> None:
    settings = Settings.load(env={}, data_dir=tmp_path / "data")
    async with open_store(settings, create=True) as store:
        user, _ = await accounts.create_user(store, "zoe", initial_credit=3_000_000)
        await store.ledger.change(user.id, -1_000_000, "deduct", "test")
        with sqlite3.connect(tmp_path / "data" / "fourk.db") as db:  # a balance gone wrong
            db.execute("UPDATE users SET balance = 999 WHERE id = ?", (user.id,))
        directory = Directory(
            users=store.users,
            keys=store.keys,
            channels=store.channels,
            sealer=store.sealer,
            version=lambda: config_version(store.engine),
        )
        await directory.reload()
        wallet = MemoryWallet()
        biller = Biller(wallet, store.ledger, directory, "http://x")
        await biller.start()
        assert await store.ledger.mismatches() == {}
        assert await store.ledger.balance(user.id) == 2_000_000
        assert await wallet.spendable(user.id) == 2_000_000
        # a top-up committed later reaches the wallet through the ledger, once
        await store.ledger.change(user.id, 500_000, "topup", "later")
        await biller.refresh()
        await biller.refresh()
        assert await wallet.spendable(user.id) == 2_500_000


def test_openai_usage_with_cache_and_reasoning_costs_what_the_price_says() -> None:
    usage = decode_usage(
        orjson.loads(
            b'{"input_tokens": 12000, "input_tokens_details": {"cached_tokens": 10000},'
            b' "output_tokens": 900, "output_tokens_details": {"reasoning_tokens": 640},'
            b' "total_tokens": 12900}'
        )
    )
    assert usage is not None
    cost = cost_of(usage, DEFAULT_PRICES["gpt-5-codex"])
    # 2000 fresh × $1.25/M + 10000 cached × $0.125/M + 900 output (reasoning inside) × $10/M
    assert (cost.input, cost.cached_input, cost.output) == (2500, 1250, 9000)
    assert cost.total == 12750
