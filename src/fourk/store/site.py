"""Queries on the operator's site settings (one JSON value per name)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from fourk.store.meta import bump_config_version
from fourk.store.tables import site_settings


class SiteSettingsStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def all(self) -> dict[str, Any]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(site_settings))).all()
        return {row.key: orjson.loads(row.value) for row in rows}

    async def put(self, values: Mapping[str, Any]) -> None:
        """Set several values in one transaction (replacing what was there)."""
        now = datetime.now(UTC)
        async with self._engine.begin() as conn:
            await conn.execute(delete(site_settings).where(site_settings.c.key.in_(list(values))))
            await conn.execute(
                insert(site_settings),
                [
                    {"key": k, "value": orjson.dumps(v).decode(), "updated_at": now}
                    for k, v in values.items()
                ],
            )
            await bump_config_version(conn)
