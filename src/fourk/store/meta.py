"""The meta table: the configuration version other processes watch, and small settings."""

from __future__ import annotations

from sqlalchemy import Integer, Text, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from fourk.store.tables import meta

CONFIG_VERSION = "config_version"


async def bump_config_version(conn: AsyncConnection) -> None:
    """Tell every running server that keys, users or channels changed (inside the writer's
    transaction, so the change and the bump land together)."""
    result = await conn.execute(
        update(meta)
        .where(meta.c.key == CONFIG_VERSION)
        .values(value=(meta.c.value.cast(Integer()) + 1).cast(Text()))
    )
    if result.rowcount == 0:
        await conn.execute(meta.insert().values(key=CONFIG_VERSION, value="1"))


async def config_version(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        value = await conn.scalar(select(meta.c.value).where(meta.c.key == CONFIG_VERSION))
    return int(value) if value is not None else 0
