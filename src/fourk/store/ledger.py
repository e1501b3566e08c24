"""Queries on money: the append-only ledger and the balances it adds up to.

Every change to a balance is a ledger row written in the same transaction as the balance
update, so `users.balance` always equals the sum of the user's ledger rows. Charges for
requests are written by the request log's writer (store/logs.py), with the log row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from fourk.store.db import as_utc
from fourk.store.meta import bump_config_version
from fourk.store.tables import ledger, users

CHARGE = "charge"
MANUAL_KINDS = ("topup", "deduct", "redeem", "initial")


class BalanceTooLow(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    user_id: int
    amount: int
    kind: str
    reason: str | None
    request_id: str | None
    key_id: int | None
    actor_id: int | None
    created_at: datetime


class Ledger:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def change(
        self,
        user_id: int,
        amount: int,
        kind: str,
        reason: str | None,
        actor_id: int | None = None,
    ) -> int:
        """Add `amount` (negative takes away) with its reason; returns the new balance.
        Refuses to take a balance below zero."""
        async with self._engine.begin() as conn:
            balance = await self.change_in(conn, user_id, amount, kind, reason, actor_id)
            await bump_config_version(conn)  # other processes pick the change up
        return balance

    @staticmethod
    async def change_in(
        conn: AsyncConnection,
        user_id: int,
        amount: int,
        kind: str,
        reason: str | None,
        actor_id: int | None = None,
    ) -> int:
        """The same inside the caller's transaction (e.g. with a redemption)."""
        current = await conn.scalar(select(users.c.balance).where(users.c.id == user_id))
        if current is None:
            raise LookupError(f"there is no user with id {user_id}")
        if amount < 0 and current + amount < 0:
            raise BalanceTooLow(f"the balance is only {current} micro-dollars")
        await conn.execute(
            ledger.insert().values(
                user_id=user_id,
                amount=amount,
                kind=kind,
                reason=reason,
                actor_id=actor_id,
                created_at=datetime.now(UTC),
            )
        )
        await conn.execute(
            update(users).where(users.c.id == user_id).values(balance=users.c.balance + amount)
        )
        return int(current + amount)

    async def balances(self) -> dict[int, int]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(users.c.id, users.c.balance))).all()
        return {row.id: int(row.balance) for row in rows}

    async def balance(self, user_id: int) -> int:
        async with self._engine.connect() as conn:
            value = await conn.scalar(select(users.c.balance).where(users.c.id == user_id))
        return int(value or 0)

    async def last_id(self) -> int:
        async with self._engine.connect() as conn:
            return int(await conn.scalar(select(func.max(ledger.c.id))) or 0)

    async def manual_since(self, after_id: int) -> list[Entry]:
        """Changes other than request charges, newer than `after_id` (oldest first)."""
        query = (
            select(ledger)
            .where(ledger.c.id > after_id, ledger.c.kind != CHARGE)
            .order_by(ledger.c.id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_entry(row) for row in rows]

    async def history(
        self, user_id: int | None = None, before: int | None = None, limit: int = 50
    ) -> list[Entry]:
        query = select(ledger).order_by(ledger.c.id.desc()).limit(limit)
        if user_id is not None:
            query = query.where(ledger.c.user_id == user_id)
        if before is not None:
            query = query.where(ledger.c.id < before)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_entry(row) for row in rows]

    async def spent(
        self, column: str, ids: list[int], day_start: datetime, month_start: datetime
    ) -> dict[int, tuple[int, int, int]]:
        """Charges per key (`column` "key_id") or user ("user_id") among `ids`:
        {id: (today, this month, all time)} in micro-dollars."""
        if not ids:
            return {}
        owner = ledger.c[column]
        spend = -ledger.c.amount

        def since(start: datetime) -> Any:
            return func.coalesce(func.sum(case((ledger.c.created_at >= start, spend))), 0)

        query = (
            select(owner, since(day_start), since(month_start), func.sum(spend))
            .where(ledger.c.kind == CHARGE, owner.in_(ids))
            .group_by(owner)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {row[0]: (int(row[1]), int(row[2]), int(row[3] or 0)) for row in rows}

    async def set_balance_to_ledger(self, user_id: int) -> int:
        """Repair a balance from the ledger (the truth); returns the new balance."""
        async with self._engine.begin() as conn:
            total = await conn.scalar(
                select(func.coalesce(func.sum(ledger.c.amount), 0)).where(
                    ledger.c.user_id == user_id
                )
            )
            await conn.execute(update(users).where(users.c.id == user_id).values(balance=total))
        return int(total or 0)

    async def mismatches(self) -> dict[int, tuple[int, int]]:
        """Users whose balance differs from their ledger's sum: {id: (balance, sum)}."""
        sums = (
            select(ledger.c.user_id, func.sum(ledger.c.amount).label("total"))
            .group_by(ledger.c.user_id)
            .subquery()
        )
        query = select(users.c.id, users.c.balance, func.coalesce(sums.c.total, 0)).outerjoin(
            sums, sums.c.user_id == users.c.id
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {row[0]: (int(row[1]), int(row[2])) for row in rows if int(row[1]) != int(row[2])}


def _entry(row: object) -> Entry:
    m = row._mapping  # type: ignore[attr-defined]
    return Entry(
        id=int(m["id"]),
        user_id=m["user_id"],
        amount=int(m["amount"]),
        kind=m["kind"],
        reason=m["reason"],
        request_id=m["request_id"],
        key_id=m["key_id"],
        actor_id=m["actor_id"],
        created_at=as_utc(m["created_at"]),  # type: ignore[arg-type]
    )
