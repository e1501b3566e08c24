"""The two principals the one fourk process is measured with: free, and with money + limits.

- **fourk** (user ``bench``): a key and a user without limits, $0 balance, and model names
  that have no price, so no money is reserved or charged and no limit is counted.
- **fourk-money** (user ``bench-money``): model names that have a price, every limit of the
  key and of the user set (high enough never to refuse), and a balance far above what a run
  spends. Any refusal (429) means this setup is wrong, and run.py stops on it.

Both go through the same channels to the same simulators; only money and limits differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from targets import BenchError, fourk_cli, log

FREE_USER = "bench"
MONEY_USER = "bench-money"
TOP_UP_DOLLARS = Decimal(1_000_000)
BENCH_PRICE = ("--input", "1.25", "--cached", "0.125", "--output", "10")
"""Dollars per million tokens for a paid model without a price of its own (gpt-5-codex's)."""
GENEROUS_LIMITS = (
    *("--rpm", "10000000", "--tpm", "1000000000", "--concurrency", "10000"),
    *("--spend-day", "100000", "--spend-month", "100000", "--spend-total", "100000"),
)
"""Every limit set, none near what a run does: the limit checks run, nothing is refused.

A run does at most some tens of thousands of requests a minute, at most a hundred at once.
tpm counts each running request's reserved output tokens (8192 by default) until it ends, so
it sits far above concurrency × 8192 plus a minute of real tokens. The spend caps ($100,000)
count held reservations too and are still far above the run's few dollars.
"""


@dataclass(frozen=True)
class Principals:
    """The keys of the two fourk targets."""

    free_key: str
    money_key: str


def prepare_principals(
    data_dir: Path, free_models: Sequence[str], paid_models: Sequence[str]
) -> Principals:
    """Price the paid models, create both users and keys, set limits and top up."""
    where = ("--data-dir", str(data_dir))
    prices = priced_models(data_dir)
    for model in paid_models:
        if not prices.get(model, False):
            fourk_cli(data_dir, ["price", "set", model, *BENCH_PRICE, *where])
    check_prices(priced_models(data_dir), free_models, paid_models)
    free_key = create_user_and_key(data_dir, FREE_USER)
    money_key = create_user_and_key(data_dir, MONEY_USER)
    fourk_cli(data_dir, ["key", "limits", money_key, *GENEROUS_LIMITS, *where])
    fourk_cli(data_dir, ["user", "limits", MONEY_USER, *GENEROUS_LIMITS, *where])
    top_up = ["user", "topup", MONEY_USER, str(TOP_UP_DOLLARS), "--reason", "benchmark"]
    fourk_cli(data_dir, [*top_up, *where])
    return Principals(free_key, money_key)


def create_user_and_key(data_dir: Path, user: str) -> str:
    """A user and one key of theirs; the key (printed alone on stdout)."""
    where = ("--data-dir", str(data_dir))
    fourk_cli(data_dir, ["user", "create", user, *where])
    key = fourk_cli(data_dir, ["key", "create", "--user", user, *where])
    if not key.startswith("sk-") or len(key.split()) != 1:
        raise BenchError(f"`fourk key create` printed {key!r}, expected only the key")
    return key


def priced_models(data_dir: Path) -> dict[str, bool]:
    """Model → whether it has a price, from `fourk price list` (one tab-separated line each)."""
    listing = fourk_cli(data_dir, ["price", "list", "--data-dir", str(data_dir)])
    prices = {}
    for line in listing.splitlines():
        model, _, rest = line.partition("\t")
        if model:
            prices[model.strip()] = not rest.startswith("no price")
    return prices


def check_prices(
    prices: dict[str, bool], free_models: Iterable[str], paid_models: Iterable[str]
) -> None:
    """Stop when a free model has a price or a paid one has none: the comparison is void."""
    wrong = [f"{m} has a price" for m in free_models if prices.get(m, False)]
    wrong += [f"{m} has no price" for m in paid_models if not prices.get(m, False)]
    if wrong:
        raise BenchError(f"model prices are not as the bench needs: {'; '.join(wrong)}")


def balance(data_dir: Path, user: str) -> Decimal | None:
    """A user's balance in dollars from `fourk user list` (None when it cannot be read)."""
    try:
        listing = fourk_cli(data_dir, ["user", "list", "--data-dir", str(data_dir)])
    except BenchError as exc:
        log(f"WARNING could not read balances: {exc}")
        return None
    for line in listing.splitlines():
        fields = line.split("\t")
        if len(fields) >= 2 and fields[1] == user:
            return parse_dollars(fields[-1])
    return None


def parse_dollars(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip().lstrip("$").replace(",", ""))
    except InvalidOperation:
        return None


def spent(data_dir: Path) -> dict[str, str | None]:
    """What fourk-money's user was charged in the run (JSON-ready); warns when nothing."""
    left = balance(data_dir, MONEY_USER)
    charged = None if left is None else TOP_UP_DOLLARS - left
    if charged is not None and charged <= 0:
        log(f"WARNING {MONEY_USER} was charged nothing: fourk-money did not measure billing")
    return {
        "user": MONEY_USER,
        "top_up_usd": str(TOP_UP_DOLLARS),
        "balance_after_usd": None if left is None else str(left),
        "charged_usd": None if charged is None else str(charged),
    }
