"""Per key and per user limits around one request: admit before forwarding, finish after.

Keys and users without limits cost nothing here (no store call). The counters live in a
`LimitStore` (memory now); spend windows are seeded from the ledger at start and whenever
limits change, since a memory store forgets on restart.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from fourk.errors import QuotaExceeded, RateLimited
from fourk.limits import Admission, Limits, LimitStore, Refusal, Scope
from fourk.services.authentication import Principal
from fourk.services.directory import Directory
from fourk.store.ledger import Ledger


class LimitsGate:
    def __init__(
        self, store: LimitStore, ledger: Ledger, clock: Callable[[], float] = time.time
    ) -> None:
        self._store = store
        self._ledger = ledger
        self._clock = clock

    async def admit(
        self, principal: Principal, tokens_estimate: int, spend_estimate: int
    ) -> Admission | None:
        """None when neither the key nor its user has limits; RateLimited (429 with
        Retry-After) or QuotaExceeded (a spend cap) when one refuses."""
        scopes = _scopes(principal)
        if not scopes:
            return None
        verdict = await self._store.admit(
            scopes,
            now=self._clock(),
            tokens_estimate=tokens_estimate,
            spend_estimate=spend_estimate,
        )
        if isinstance(verdict, Refusal):
            if verdict.retry_after is None:
                raise QuotaExceeded(verdict.message)
            raise RateLimited(verdict.message, retry_after=verdict.retry_after)
        return verdict

    async def finish(self, admission: Admission | None, tokens_used: int, spent: int) -> None:
        if admission is not None:
            await self._store.finish(
                admission, now=self._clock(), tokens_used=tokens_used, spent=spent
            )

    async def seed(self, directory: Directory) -> None:
        """Load what every capped key and user has spent (today, this month, in all)."""
        now = self._clock()
        moment = datetime.fromtimestamp(now, UTC)
        day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        month = day.replace(day=1)
        keys = sorted({k.id for k in directory.keys_by_digest.values() if _caps(k.limits)})
        users = sorted({u.id for u in directory.users_by_id.values() if _caps(u.limits)})
        for kind, column, ids in (("key", "key_id", keys), ("user", "user_id", users)):
            sums = await self._ledger.spent(column, ids, day, month)
            for scope_id in ids:
                today, this_month, total = sums.get(scope_id, (0, 0, 0))
                await self._store.load_spent(
                    Scope(kind, scope_id), now=now, day=today, month=this_month, total=total
                )


def _scopes(principal: Principal) -> list[tuple[Scope, Limits]]:
    scopes = []
    if principal.key.limits is not None:
        scopes.append((Scope("key", principal.key.id), principal.key.limits))
    if principal.user.limits is not None:
        scopes.append((Scope("user", principal.user.id), principal.user.limits))
    return scopes


def _caps(limits: Limits | None) -> bool:
    return limits is not None and any(
        v is not None for v in (limits.spend_day, limits.spend_month, limits.spend_total)
    )
