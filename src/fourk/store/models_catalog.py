"""Queries on the operator's model catalog (aliases, visibility, descriptions, order)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from fourk.routing.catalog import CatalogEntry
from fourk.store.meta import bump_config_version
from fourk.store.tables import models


class CatalogNameTaken(ValueError):
    pass


def _entry(row: Any) -> CatalogEntry:
    return CatalogEntry(
        name=row.name,
        alias_of=row.alias_of,
        visible=bool(row.visible),
        description=row.description,
        position=row.position,
    )


class ModelsCatalog:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def all(self) -> list[CatalogEntry]:
        query = select(models).order_by(models.c.position, models.c.name)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_entry(row) for row in rows]

    async def get(self, name: str) -> CatalogEntry | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(models).where(models.c.name == name))).first()
        return _entry(row) if row else None

    async def create(self, entry: CatalogEntry) -> None:
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(models).values(**_values(entry), created_at=datetime.now(UTC))
                )
                await bump_config_version(conn)
        except IntegrityError as exc:
            raise CatalogNameTaken(f"the catalog has a row for {entry.name!r} already") from exc

    async def replace(self, entry: CatalogEntry) -> bool:
        """Overwrite the row of `entry.name`; False when there is none."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(models).where(models.c.name == entry.name).values(**_values(entry))
            )
            if result.rowcount:
                await bump_config_version(conn)
        return bool(result.rowcount)

    async def delete(self, name: str) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(models).where(models.c.name == name))
            if result.rowcount:
                await bump_config_version(conn)
        return bool(result.rowcount)


def _values(entry: CatalogEntry) -> dict[str, Any]:
    return {
        "name": entry.name,
        "alias_of": entry.alias_of,
        "visible": entry.visible,
        "description": entry.description,
        "position": entry.position,
    }
