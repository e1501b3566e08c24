"""Money around one request: reserve before forwarding, price the log row after.

The flow (called by the relay): `reserve` sets the worst case aside (an input estimate from
the body size plus the request's output cap or the default reserve) or refuses with
insufficient_quota; `price` fills the log row's cost from the usage (or from what streamed,
marked estimated) — the log writer then commits the row, its ledger charge and the new
balance in one transaction; `settle` moves the wallet from the hold to the charge. A charge
never takes a balance below zero: it is capped at what the user had (hold included).
"""

from __future__ import annotations

import logging

from fourk.billing.estimate import input_tokens_from_body, output_tokens_from_stream
from fourk.billing.pricing import cost_of, format_dollars, reservation
from fourk.billing.usage import Usage
from fourk.billing.wallet import Hold, Wallet
from fourk.errors import QuotaExceeded
from fourk.services.authentication import Principal
from fourk.services.directory import Directory
from fourk.store.ledger import Ledger
from fourk.store.logs import LogRow

log = logging.getLogger("fourk.billing")


class Biller:
    def __init__(self, wallet: Wallet, ledger: Ledger, directory: Directory, base_url: str) -> None:
        self._base_url = base_url  # the server's own address, when no public one is set
        self._wallet = wallet
        self._ledger = ledger
        self._directory = directory
        self._seen = 0  # the newest ledger row (other than charges) the wallet has

    async def start(self) -> None:
        """Make every balance its ledger's sum (the ledger is the truth), then load the
        wallet. Nothing else is left to clear after a crash: reservations live only in
        memory, and a charge commits with its log row or not at all."""
        for user_id, (balance, total) in (await self._ledger.mismatches()).items():
            log.error(
                "user %s: balance %s was not its ledger sum %s; repaired", user_id, balance, total
            )
            await self._ledger.set_balance_to_ledger(user_id)
        self._seen = await self._ledger.last_id()
        await self._wallet.load(await self._ledger.balances())

    async def refresh(self) -> None:
        """Apply top-ups, deductions and redemptions committed since the last look (by this
        process or another: the CLI, another replica's dashboard)."""
        entries = await self._ledger.manual_since(self._seen)
        deltas: dict[int, int] = {}
        for entry in entries:
            deltas[entry.user_id] = deltas.get(entry.user_id, 0) + entry.amount
            self._seen = max(self._seen, entry.id)
        if deltas:
            await self._wallet.apply(deltas)

    async def reserve(
        self, principal: Principal, model: str, body_size: int, output: int
    ) -> Hold | None:
        """The hold for a request (`output`: tokens it may produce), None when its model is
        free; QuotaExceeded when the balance cannot cover the worst case."""
        price = self._directory.price(model)
        if price is None:
            return None
        user = principal.user
        amount = reservation(
            input_tokens_from_body(body_size), output, price, user.price_multiplier
        )
        hold = await self._wallet.reserve(user.id, amount)
        if hold is None:  # a top-up may have just landed elsewhere: look once, then refuse
            await self.refresh()
            hold = await self._wallet.reserve(user.id, amount)
        if hold is None:
            balance = await self._wallet.spendable(user.id)
            base = self._directory.site.base_url(self._base_url)
            raise QuotaExceeded(
                f"Your balance ({format_dollars(max(0, balance))}) does not cover this request "
                f"to '{model}' (up to {format_dollars(amount)} with {output:,} output tokens "
                f"set aside). Top up or redeem a code at {base}/billing."
            )
        return hold

    async def price(
        self,
        row: LogRow,
        hold: Hold | None,
        principal: Principal,
        usage: Usage | None,
        body_size: int,
        streamed: tuple[int, int],
    ) -> None:
        """Fill the row's cost: from `usage`, else estimated from the request size and the
        (bytes, events) that streamed. Upstream not reached: nothing to pay."""
        price = self._directory.price(row.model)
        if price is None or hold is None or row.channel_id is None:
            return
        if usage is None:
            usage = Usage(
                input_tokens=input_tokens_from_body(body_size),
                output_tokens=output_tokens_from_stream(*streamed),
                estimated=True,
            )
            row.input_tokens, row.output_tokens = usage.input_tokens, usage.output_tokens
        cost = cost_of(usage, price, principal.user.price_multiplier)
        can_pay = max(0, await self._wallet.spendable(hold.user_id) + hold.amount)
        row.cost = min(cost.total, can_pay)
        row.cost_input, row.cost_cached_input = cost.input, cost.cached_input
        row.cost_cache_write, row.cost_output = cost.cache_write, cost.output
        row.usage_estimated = usage.estimated

    async def settle(self, hold: Hold | None, charged: int) -> None:
        if hold is not None:
            await self._wallet.settle(hold, charged)

    async def release(self, hold: Hold | None) -> None:
        if hold is not None:
            await self._wallet.release(hold)
