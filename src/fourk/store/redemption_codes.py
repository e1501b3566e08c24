"""Queries on redemption codes: batches, and redeeming one code exactly once.

Codes are kept as digests (`services/redemption_code.py`). A redemption marks the code and
adds its value to the ledger in one transaction; the mark is a conditional UPDATE (only a
code nobody has redeemed and that has not expired), so of two people racing with one code
exactly one gets the money. The UPDATE is the transaction's first statement, which on SQLite
takes the write lock before anything is read (a transaction that read first could fail to
upgrade) and on PostgreSQL makes the loser wait for the winner's row and then match nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from fourk.store.db import as_utc
from fourk.store.ledger import Ledger
from fourk.store.meta import bump_config_version
from fourk.store.tables import redemption_codes, users

REDEEM = "redeem"


class CodeRefused(ValueError):
    """A code that cannot be redeemed; `reason` is "unknown", "used" or "expired"."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Redeemed:
    code_id: int
    amount: int
    batch: str
    balance: int  # the redeemer's balance after it


@dataclass(frozen=True, slots=True)
class BatchSummary:
    batch: str
    amount: int  # of each code (a batch made at once has one value)
    count: int
    redeemed: int
    expired: int  # not redeemed and past its expiry
    created_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class CodeRecord:
    id: int
    amount: int
    batch: str
    expires_at: datetime | None
    created_at: datetime
    redeemed_by: int | None
    redeemed_by_name: str | None
    redeemed_at: datetime | None


class RedemptionCodes:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(
        self,
        digests: Sequence[str],
        amount: int,
        batch: str,
        expires_at: datetime | None,
        created_by: int | None,
        now: datetime,
    ) -> None:
        rows = [
            {
                "code": d,
                "amount": amount,
                "batch": batch,
                "expires_at": expires_at,
                "created_by": created_by,
                "created_at": now,
            }
            for d in digests
        ]
        async with self._engine.begin() as conn:
            await conn.execute(redemption_codes.insert(), rows)

    async def redeem(self, digest: str, user_id: int, now: datetime) -> Redeemed:
        """Mark the code redeemed by `user_id` and credit its value, or CodeRefused."""
        c = redemption_codes.c
        usable = and_(
            c.code == digest,
            c.redeemed_at.is_(None),
            or_(c.expires_at.is_(None), c.expires_at > now),
        )
        async with self._engine.begin() as conn:
            marked = await conn.execute(
                update(redemption_codes).where(usable).values(redeemed_by=user_id, redeemed_at=now)
            )
            if marked.rowcount != 1:
                raise await _refusal(conn, digest)
            found = select(c.id, c.amount, c.batch).where(c.code == digest)
            row = (await conn.execute(found)).one()
            reason = f"code #{row.id}"  # not the batch label: that is the operator's note
            balance = await Ledger.change_in(conn, user_id, int(row.amount), REDEEM, reason)
            await bump_config_version(conn)  # other nodes' wallets look at the ledger
        return Redeemed(code_id=row.id, amount=int(row.amount), batch=row.batch, balance=balance)

    async def batches(self, now: datetime) -> list[BatchSummary]:
        """Every batch, newest first, with how many of its codes were redeemed."""
        c = redemption_codes.c
        open_expired = and_(c.redeemed_at.is_(None), c.expires_at <= now)
        query = (
            select(
                c.batch,
                func.max(c.amount),
                func.count(),
                func.count(c.redeemed_at),
                func.sum(case((open_expired, 1), else_=0)),
                func.min(c.created_at),
                func.max(c.expires_at),
            )
            .group_by(c.batch)
            .order_by(func.max(c.id).desc())
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            BatchSummary(
                batch=r[0],
                amount=int(r[1]),
                count=int(r[2]),
                redeemed=int(r[3]),
                expired=int(r[4] or 0),
                created_at=as_utc(r[5]),  # type: ignore[arg-type]
                expires_at=as_utc(r[6]),
            )
            for r in rows
        ]

    async def batch_exists(self, batch: str) -> bool:
        c = redemption_codes.c
        async with self._engine.connect() as conn:
            found = await conn.scalar(select(c.id).where(c.batch == batch).limit(1))
        return found is not None

    async def in_batch(self, batch: str) -> list[CodeRecord]:
        """The codes of one batch (by number) and who redeemed each, when."""
        c = redemption_codes.c
        query = (
            select(redemption_codes, users.c.username)
            .outerjoin(users, users.c.id == c.redeemed_by)
            .where(c.batch == batch)
            .order_by(c.id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            CodeRecord(
                id=r.id,
                amount=int(r.amount),
                batch=r.batch,
                expires_at=as_utc(r.expires_at),
                created_at=as_utc(r.created_at),  # type: ignore[arg-type]
                redeemed_by=r.redeemed_by,
                redeemed_by_name=r.username,
                redeemed_at=as_utc(r.redeemed_at),
            )
            for r in rows
        ]


async def _refusal(conn: AsyncConnection, digest: str) -> CodeRefused:
    c = redemption_codes.c
    row = (await conn.execute(select(c.redeemed_at).where(c.code == digest))).first()
    if row is None:
        return CodeRefused("unknown", "There is no such code. Check it and try again.")
    if row.redeemed_at is not None:
        return CodeRefused("used", "This code has already been redeemed.")
    return CodeRefused("expired", "This code has expired.")
