"""Redemption codes as use cases: an operator makes a batch (the codes are shown once), a user
redeems one (once; wrong guesses are throttled like passwords), and the wallet sees the new
balance at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fourk.errors import RateLimited
from fourk.services.billing import Biller
from fourk.services.login_throttle import LoginThrottle
from fourk.services.redemption_code import (
    BatchRequest,
    check_batch,
    digest,
    looks_like_code,
    new_code,
)
from fourk.services.store_bundle import Store
from fourk.store.redemption_codes import CodeRefused, Redeemed

THROTTLE_KIND = "redeem"  # its own counters in the login throttle


@dataclass(frozen=True, slots=True)
class NewBatch:
    label: str
    amount: int
    expires_at: datetime | None
    codes: list[str]  # shown this once


async def create_batch(
    store: Store,
    actor_id: int | None,
    request: BatchRequest,
    now: datetime | None = None,
    expires_at: datetime | None = None,
) -> NewBatch:
    """Make the codes and store their digests; the codes themselves go back to the caller.
    `expires_at` (the CLI's --expires 12h) stands in for the request's days."""
    now = now or datetime.now(UTC)
    request = check_batch(request)
    label = request.label or f"batch-{now:%Y%m%d-%H%M%S}"
    if await store.redemption_codes.batch_exists(label):
        raise ValueError(f"There is already a batch called '{label}'; pick another label.")
    if expires_at is None and request.days:
        expires_at = now + timedelta(days=request.days)
    if expires_at is not None and expires_at <= now:
        raise ValueError("The expiry must be in the future.")
    codes = [new_code() for _ in range(request.count)]
    await store.redemption_codes.create(
        [digest(c) for c in codes], request.amount, label, expires_at, actor_id, now
    )
    return NewBatch(label=label, amount=request.amount, expires_at=expires_at, codes=codes)


class Redeemer:
    """Redeeming codes for one node: the store, the guess throttle, the wallet."""

    def __init__(self, store: Store, throttle: LoginThrottle, biller: Biller | None) -> None:
        self._store = store
        self._throttle = throttle
        self._biller = biller

    async def redeem(self, user_id: int, typed: str, address: str | None) -> Redeemed:
        """Credit the code's value to `user_id`; CodeRefused or RateLimited otherwise."""
        account = str(user_id)
        wait = await self._throttle.wait(THROTTLE_KIND, account, address)
        if wait:
            raise RateLimited(
                f"Too many wrong codes. Try again in {wait} seconds.", retry_after=wait
            )
        if not looks_like_code(typed):
            raise CodeRefused(
                "malformed", "That is not a redemption code: a code has 20 letters and digits."
            )
        try:
            redeemed = await self._store.redemption_codes.redeem(
                digest(typed), user_id, datetime.now(UTC)
            )
        except CodeRefused as refused:
            if refused.reason == "unknown":  # only guesses count; a used code is a real one
                await self._throttle.failed(THROTTLE_KIND, account, address)
            raise
        await self._throttle.succeeded(THROTTLE_KIND, account)
        if self._biller is not None:
            await self._biller.refresh()
        return redeemed
