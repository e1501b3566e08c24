"""Where limit counters live: one interface, and the one-process memory store.

`LimitStore` is what the relay calls. Its methods are async so a Redis or PostgreSQL store
(one script or transaction per call) can serve several replicas without touching callers.

`MemoryLimitStore` keeps one process's counters in dicts. It never awaits inside a method, so
on one event loop each call is atomic: `admit` checks every scope and only then counts in all
of them, so a refusal by one scope counts nothing anywhere. Memory stays bounded:
  - rate and concurrency counters of a scope are dropped once it has been idle for `idle_for`
    seconds with nothing running and its rates fully recovered (so forgetting changes no
    answer);
  - spend is kept while it is non-zero: it mirrors the ledger (seeded by `load_spent` at
    start-up) and costs a few integers per key or user that has spent, a set the database
    bounds and callers cannot grow.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from fourk.limits.rules import (
    Limits,
    Refusal,
    Scope,
    busy_refusal,
    day_end,
    day_of,
    month_end,
    month_of,
    rate_adjust,
    rate_idle,
    rate_refusal,
    rate_rescale,
    rate_take,
    rate_wait,
    spend_fits,
    spend_refusal,
    to_us,
    token_charge,
    worse,
)

_SWEEP_STEPS = 4  # idle scopes looked at per admission: more than one admission can add


@dataclass(eq=False, slots=True)
class Admission:
    """A request let in: hand it back to `finish` exactly once (more calls are ignored)."""

    scopes: tuple[tuple[Scope, Limits], ...]
    tokens_estimate: int
    spend_estimate: int
    finished: bool = False


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A scope's counters now (for pages and rate-limit headers). Money in micro-dollars."""

    active: int
    held: int  # spend estimates of running requests
    spent_day: int
    spent_month: int
    spent_total: int


class LimitStore(Protocol):
    async def admit(
        self,
        scopes: Sequence[tuple[Scope, Limits]],
        *,
        now: float,
        tokens_estimate: int = 0,
        spend_estimate: int = 0,
    ) -> Admission | Refusal:
        """Check every scope's limits at `now` (epoch seconds) and, only if all allow, count
        the request, its token estimate and spend estimate in all of them at once."""
        ...

    async def finish(
        self, admission: Admission, *, now: float, tokens_used: int = 0, spent: int = 0
    ) -> None:
        """Release the request's slot, replace its token estimate by `tokens_used` and its
        spend estimate by `spent`. Idempotent; zeros are right for a failed request."""
        ...

    async def load_spent(
        self, scope: Scope, *, now: float, day: int, month: int, total: int
    ) -> None:
        """Seed a scope's spend (from the ledger) for the day and month around `now`."""
        ...

    async def snapshot(self, scope: Scope, *, now: float) -> Snapshot: ...


@dataclass(slots=True)
class _Traffic:
    seen: float
    active: int = 0
    rpm_tat: int = 0  # theoretical arrival time × rpm_rate, see rules
    rpm_rate: int = 0
    tpm_tat: int = 0
    tpm_rate: int = 0


@dataclass(slots=True)
class _Spend:
    day: int
    month: int
    day_spent: int = 0
    month_spent: int = 0
    total: int = 0
    held: int = 0

    def roll(self, now: float) -> None:
        """Start a new day (and month) once `now` is past the current one."""
        day = day_of(now)
        if day > self.day:
            self.day, self.day_spent = day, 0
            month = month_of(now)
            if month > self.month:
                self.month, self.month_spent = month, 0


class MemoryLimitStore:
    """One process's limit counters (see the module docstring)."""

    def __init__(self, idle_for: float = 600.0) -> None:
        self._idle_for = idle_for
        self._traffic: OrderedDict[Scope, _Traffic] = OrderedDict()  # least recently used first
        self._spend: dict[Scope, _Spend] = {}

    def __len__(self) -> int:
        """Scopes with rate or concurrency counters in memory."""
        return len(self._traffic)

    async def admit(
        self,
        scopes: Sequence[tuple[Scope, Limits]],
        *,
        now: float,
        tokens_estimate: int = 0,
        spend_estimate: int = 0,
    ) -> Admission | Refusal:
        if tokens_estimate < 0 or spend_estimate < 0:
            raise ValueError("estimates cannot be negative")
        now_us = to_us(now)
        refusal: Refusal | None = None
        for scope, limits in scopes:
            found = self._check(scope, limits, now, now_us, tokens_estimate, spend_estimate)
            if found is not None:
                refusal = worse(refusal, found)
        if refusal is not None:
            return refusal
        for scope, limits in scopes:
            self._count(scope, limits, now, now_us, tokens_estimate, spend_estimate)
        self._sweep(now)
        return Admission(tuple(scopes), tokens_estimate, spend_estimate)

    async def finish(
        self, admission: Admission, *, now: float, tokens_used: int = 0, spent: int = 0
    ) -> None:
        if tokens_used < 0 or spent < 0:
            raise ValueError("tokens and spend cannot be negative")
        if admission.finished:
            return
        admission.finished = True
        for scope, limits in admission.scopes:
            traffic = self._traffic.get(scope)
            if traffic is not None:  # always, while a request runs: busy scopes are kept
                traffic.active -= 1
                traffic.seen = now
                if limits.tpm is not None:
                    charged = token_charge(admission.tokens_estimate, limits.tpm)
                    traffic.tpm_tat = rate_adjust(traffic.tpm_tat, tokens_used - charged)
            self._settle(scope, now, admission.spend_estimate, spent)

    async def load_spent(
        self, scope: Scope, *, now: float, day: int, month: int, total: int
    ) -> None:
        if min(day, month, total) < 0:
            raise ValueError("spend cannot be negative")
        held = self._spend[scope].held if scope in self._spend else 0
        self._spend[scope] = _Spend(day_of(now), month_of(now), day, month, total, held)
        self._drop_spend_if_empty(scope)

    async def snapshot(self, scope: Scope, *, now: float) -> Snapshot:
        traffic = self._traffic.get(scope)
        active = traffic.active if traffic is not None else 0
        spend = self._spend.get(scope)
        if spend is None:
            return Snapshot(active, 0, 0, 0, 0)
        spend.roll(now)
        return Snapshot(active, spend.held, spend.day_spent, spend.month_spent, spend.total)

    # --- checking ---------------------------------------------------------------------

    def _check(
        self, scope: Scope, limits: Limits, now: float, now_us: int, tokens: int, spend: int
    ) -> Refusal | None:
        """The worst refusal `limits` give this scope now, or None. Counts nothing."""
        refusal = self._check_spend(scope, limits, now, spend)
        traffic = self._traffic.get(scope)
        if traffic is None:
            return refusal
        if limits.concurrency is not None and traffic.active >= limits.concurrency:
            refusal = worse(refusal, busy_refusal(scope, limits.concurrency, now))
        if limits.rpm is not None:
            traffic.rpm_tat = rate_rescale(traffic.rpm_tat, traffic.rpm_rate, limits.rpm)
            traffic.rpm_rate = limits.rpm
            wait = rate_wait(traffic.rpm_tat, limits.rpm, now_us, 1)
            if wait:
                refusal = worse(refusal, rate_refusal("rpm", scope, limits.rpm, wait, now))
        if limits.tpm is not None:
            traffic.tpm_tat = rate_rescale(traffic.tpm_tat, traffic.tpm_rate, limits.tpm)
            traffic.tpm_rate = limits.tpm
            cost = token_charge(tokens, limits.tpm)
            wait = rate_wait(traffic.tpm_tat, limits.tpm, now_us, cost)
            if wait:
                refusal = worse(refusal, rate_refusal("tpm", scope, limits.tpm, wait, now))
        return refusal

    def _check_spend(
        self, scope: Scope, limits: Limits, now: float, estimate: int
    ) -> Refusal | None:
        spend = self._spend.get(scope)
        if spend is None:
            day, month, total, held = 0, 0, 0, 0
        else:
            spend.roll(now)
            day, month, total, held = spend.day_spent, spend.month_spent, spend.total, spend.held
        refusal: Refusal | None = None
        if limits.spend_total is not None and not spend_fits(
            limits.spend_total, total + held, estimate
        ):
            refusal = spend_refusal("spend_total", scope, limits.spend_total, total + held, None)
        if limits.spend_month is not None and not spend_fits(
            limits.spend_month, month + held, estimate
        ):
            ends = month_end(month_of(now))
            refusal = refusal or spend_refusal(
                "spend_month", scope, limits.spend_month, month + held, ends
            )
        if limits.spend_day is not None and not spend_fits(limits.spend_day, day + held, estimate):
            ends = day_end(day_of(now))
            refusal = refusal or spend_refusal(
                "spend_day", scope, limits.spend_day, day + held, ends
            )
        return refusal

    # --- counting ---------------------------------------------------------------------

    def _count(
        self, scope: Scope, limits: Limits, now: float, now_us: int, tokens: int, spend: int
    ) -> None:
        traffic = self._traffic.get(scope)
        if traffic is None:
            traffic = self._traffic[scope] = _Traffic(now)
        else:
            traffic.seen = now
            self._traffic.move_to_end(scope)
        traffic.active += 1
        if limits.rpm is not None:
            traffic.rpm_tat = rate_take(traffic.rpm_tat, limits.rpm, now_us, 1)
            traffic.rpm_rate = limits.rpm
        if limits.tpm is not None:
            cost = token_charge(tokens, limits.tpm)
            traffic.tpm_tat = rate_take(traffic.tpm_tat, limits.tpm, now_us, cost)
            traffic.tpm_rate = limits.tpm
        if spend:
            self._spend_of(scope, now).held += spend

    def _settle(self, scope: Scope, now: float, estimate: int, spent: int) -> None:
        if not (estimate or spent):
            return
        record = self._spend_of(scope, now)
        record.held = max(0, record.held - estimate)
        record.day_spent += spent
        record.month_spent += spent
        record.total += spent
        self._drop_spend_if_empty(scope)

    def _spend_of(self, scope: Scope, now: float) -> _Spend:
        record = self._spend.get(scope)
        if record is None:
            record = self._spend[scope] = _Spend(day_of(now), month_of(now))
        else:
            record.roll(now)
        return record

    def _drop_spend_if_empty(self, scope: Scope) -> None:
        record = self._spend[scope]
        if not (record.total or record.held or record.day_spent or record.month_spent):
            del self._spend[scope]

    def _sweep(self, now: float) -> None:
        """Forget a few of the least recently used scopes that are idle and recovered."""
        now_us = to_us(now)
        for _ in range(_SWEEP_STEPS):
            if not self._traffic:
                return
            scope, traffic = next(iter(self._traffic.items()))
            if now - traffic.seen < self._idle_for:
                return
            if (
                traffic.active == 0
                and rate_idle(traffic.rpm_tat, traffic.rpm_rate, now_us)
                and rate_idle(traffic.tpm_tat, traffic.tpm_rate, now_us)
            ):
                del self._traffic[scope]
            else:
                traffic.seen = now
                self._traffic.move_to_end(scope)
