"""Queries on channels. Upstream secrets stay sealed here; the catalog opens them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from fourk.store.meta import bump_config_version
from fourk.store.tables import channels


class ChannelNameTaken(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ChannelRow:
    id: int
    name: str
    kind: str
    base_url: str
    sealed_secret: str | None
    models: tuple[str, ...]
    priority: int
    weight: int
    enabled: bool
    options: dict[str, Any]


def _row(row: Any) -> ChannelRow:
    return ChannelRow(
        id=row.id,
        name=row.name,
        kind=row.kind,
        base_url=row.base_url,
        sealed_secret=row.sealed_secret,
        models=tuple(orjson.loads(row.models)),
        priority=row.priority,
        weight=row.weight,
        enabled=bool(row.enabled),
        options=orjson.loads(row.options or "{}"),
    )


class Channels:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(
        self,
        *,
        name: str,
        kind: str,
        base_url: str,
        sealed_secret: str | None,
        models: Sequence[str],
        priority: int = 0,
        weight: int = 1,
        options: dict[str, Any] | None = None,
    ) -> int:
        try:
            async with self._engine.begin() as conn:
                result = await conn.execute(
                    channels.insert().values(
                        name=name,
                        kind=kind,
                        base_url=base_url,
                        sealed_secret=sealed_secret,
                        models=orjson.dumps(list(models)).decode(),
                        priority=priority,
                        weight=weight,
                        enabled=True,
                        options=orjson.dumps(options or {}).decode(),
                        created_at=datetime.now(UTC),
                    )
                )
                await bump_config_version(conn)
        except IntegrityError as exc:
            raise ChannelNameTaken(f"a channel named {name!r} exists already") from exc
        return _new_id(result)

    async def all(self) -> list[ChannelRow]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(channels).order_by(channels.c.id))).all()
        return [_row(row) for row in rows]

    async def by_name(self, name: str) -> ChannelRow | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(channels).where(channels.c.name == name))).first()
        return _row(row) if row else None

    async def by_id(self, channel_id: int) -> ChannelRow | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(channels).where(channels.c.id == channel_id))).first()
        return _row(row) if row else None

    async def delete(self, channel_id: int) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(channels).where(channels.c.id == channel_id))
            if result.rowcount:
                await bump_config_version(conn)
        return bool(result.rowcount)

    async def update(self, channel_id: int, **values: Any) -> None:
        if "models" in values:
            values["models"] = orjson.dumps(list(values["models"])).decode()
        if "options" in values:
            values["options"] = orjson.dumps(values["options"]).decode()
        async with self._engine.begin() as conn:
            await conn.execute(update(channels).where(channels.c.id == channel_id).values(**values))
            await bump_config_version(conn)


def _new_id(result: Any) -> int:
    return int(result.inserted_primary_key[0])
