"""What an operator does with money: top up or deduct a balance (with a reason, the actor
recorded in the ledger), set a user's price multiplier, set or reset a model's price.

Every change is live on this node at once (the wallet and the directory are refreshed) and on
other nodes within the directory's poll interval (the store bumps the config version).
"""

from __future__ import annotations

from fourk.billing.pricing import Price, format_dollars
from fourk.services.accounts import NotFoundError
from fourk.services.billing import Biller
from fourk.services.directory import Directory
from fourk.services.store_bundle import Store
from fourk.store.ledger import BalanceTooLow

KINDS = ("topup", "deduct")
MAX_REASON = 500
MAX_MODEL_NAME = 128


async def change_balance(
    store: Store,
    biller: Biller | None,
    user_id: int,
    kind: str,
    amount: int,
    reason: str,
    actor_id: int | None,
) -> int:
    """Add (topup) or take away (deduct) `amount` micro-dollars; returns the new balance."""
    if kind not in KINDS:
        raise ValueError("kind must be topup or deduct")
    if amount <= 0:
        raise ValueError("The amount must be more than zero, e.g. 10 or 2.50.")
    reason = " ".join(reason.split())
    if not reason:
        raise ValueError("Say why (the reason is kept in the ledger).")
    if len(reason) > MAX_REASON:
        raise ValueError(f"A reason has at most {MAX_REASON} characters.")
    if await store.users.by_id(user_id) is None:
        raise NotFoundError(f"there is no user with id {user_id}")
    delta = amount if kind == "topup" else -amount
    try:
        balance = await store.ledger.change(user_id, delta, kind, reason, actor_id)
    except BalanceTooLow:
        have = format_dollars(await store.ledger.balance(user_id))
        raise ValueError(
            f"Cannot deduct {format_dollars(amount)}: the balance is only {have}."
        ) from None
    if biller is not None:
        await biller.refresh()
    return balance


async def set_multiplier(store: Store, directory: Directory, user_id: int, points: int) -> None:
    """The user's prices times `points` basis points (10_000: the list price)."""
    if await store.users.by_id(user_id) is None:
        raise NotFoundError(f"there is no user with id {user_id}")
    await store.users.set_price_multiplier(user_id, points)
    await directory.reload()


def check_model_name(model: str) -> str:
    model = model.strip()
    if not 1 <= len(model) <= MAX_MODEL_NAME or any(c.isspace() for c in model):
        raise ValueError(f"A model name has 1 to {MAX_MODEL_NAME} characters and no spaces.")
    return model


async def set_price(store: Store, directory: Directory, model: str, price: Price) -> None:
    await store.prices.put(check_model_name(model), price)
    await directory.reload()


async def reset_price(store: Store, directory: Directory, model: str) -> bool:
    """Drop the operator's price (the shipped default, if any, applies again); False when
    there was none."""
    model = model.strip()
    if model not in await store.prices.all():
        return False
    await store.prices.delete(model)
    await directory.reload()
    return True
