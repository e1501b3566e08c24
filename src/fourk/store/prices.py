"""Queries on the operator's prices (micro-dollars per million tokens, per model name)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from fourk.billing.pricing import Price
from fourk.store.meta import bump_config_version
from fourk.store.tables import prices


class Prices:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def all(self) -> dict[str, Price]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(prices))).all()
        return {
            row.model: Price(row.input, row.cached_input, row.output, row.cache_write)
            for row in rows
        }

    async def put(self, model: str, price: Price) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(prices).where(prices.c.model == model))
            await conn.execute(
                prices.insert().values(
                    model=model,
                    input=price.input,
                    cached_input=price.cached_input,
                    output=price.output,
                    cache_write=price.cache_write,
                    updated_at=datetime.now(UTC),
                )
            )
            await bump_config_version(conn)

    async def delete(self, model: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(prices).where(prices.c.model == model))
            await bump_config_version(conn)
