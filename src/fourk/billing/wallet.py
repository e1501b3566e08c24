"""Balances on the hot path: reserve before a request, settle after it.

The database holds the truth (each user's balance and the append-only ledger, changed in
one transaction with the request's log row). A wallet mirrors committed balances in memory
and keeps the open reservations, so admitting a request reads no database. Reservations
live only here: a crash cannot leave one behind in the database, and nothing is charged
until the request's log row commits.

`Wallet` is the interface; `MemoryWallet` serves one node. A Redis implementation can
drop in for several replicas without touching callers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Hold:
    """Money set aside for one request."""

    user_id: int
    amount: int


class Wallet(Protocol):
    async def reserve(self, user_id: int, amount: int) -> Hold | None:
        """Set `amount` aside if the balance covers it, else None (nothing changes)."""
        ...

    async def settle(self, hold: Hold, charged: int) -> None:
        """The request's charge is committed: free the hold, take `charged` off."""
        ...

    async def release(self, hold: Hold) -> None:
        """The request is over without a charge."""
        ...

    async def spendable(self, user_id: int) -> int:
        """Balance minus what open reservations hold (may be negative)."""
        ...

    async def load(self, balances: Mapping[int, int]) -> None:
        """Start from the committed balances."""
        ...

    async def apply(self, deltas: Mapping[int, int]) -> None:
        """Committed changes that did not come through `settle` (top-ups, redemptions)."""
        ...


class MemoryWallet:
    """One node's balances. All methods run on the event loop without awaiting anything,
    so a check and its reservation are one atomic step."""

    def __init__(self) -> None:
        self._balances: dict[int, int] = {}
        self._held: dict[int, int] = {}

    async def reserve(self, user_id: int, amount: int) -> Hold | None:
        held = self._held.get(user_id, 0)
        if self._balances.get(user_id, 0) - held < amount:
            return None
        self._held[user_id] = held + amount
        return Hold(user_id, amount)

    async def settle(self, hold: Hold, charged: int) -> None:
        self._unhold(hold)
        self._balances[hold.user_id] = self._balances.get(hold.user_id, 0) - charged

    async def release(self, hold: Hold) -> None:
        self._unhold(hold)

    async def spendable(self, user_id: int) -> int:
        return self._balances.get(user_id, 0) - self._held.get(user_id, 0)

    async def load(self, balances: Mapping[int, int]) -> None:
        self._balances = dict(balances)

    async def apply(self, deltas: Mapping[int, int]) -> None:
        for user_id, delta in deltas.items():
            self._balances[user_id] = self._balances.get(user_id, 0) + delta

    def _unhold(self, hold: Hold) -> None:
        left = self._held.get(hold.user_id, 0) - hold.amount
        if left > 0:
            self._held[hold.user_id] = left
        else:
            self._held.pop(hold.user_id, None)
