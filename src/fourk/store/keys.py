"""Queries on API keys. Keys are stored as a digest (lookup) and a sealed copy (display)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from fourk.accounts.records import ApiKey
from fourk.limits.codec import decode_limits
from fourk.store.db import as_utc
from fourk.store.meta import bump_config_version
from fourk.store.tables import api_keys


def _key(row: Any) -> ApiKey:
    return ApiKey(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        prefix=row.prefix,
        digest=row.digest,
        models=tuple(orjson.loads(row.models)) if row.models else None,
        expires_at=as_utc(row.expires_at),
        revoked_at=as_utc(row.revoked_at),
        created_at=as_utc(row.created_at) or datetime.now(UTC),
        scope=row.scope,
        limits=decode_limits(row.limits),
    )


class Keys:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(
        self,
        *,
        user_id: int,
        name: str,
        prefix: str,
        digest: str,
        sealed: str,
        models: Sequence[str] | None,
        expires_at: datetime | None,
        scope: str = "inference",
    ) -> ApiKey:
        now = datetime.now(UTC)
        async with self._engine.begin() as conn:
            result = await conn.execute(
                api_keys.insert().values(
                    user_id=user_id,
                    name=name,
                    prefix=prefix,
                    digest=digest,
                    sealed=sealed,
                    models=orjson.dumps(list(models)).decode() if models else None,
                    expires_at=expires_at,
                    created_at=now,
                    scope=scope,
                )
            )
            await bump_config_version(conn)
        return ApiKey(
            id=_new_id(result),
            user_id=user_id,
            name=name,
            prefix=prefix,
            digest=digest,
            models=tuple(models) if models else None,
            expires_at=expires_at,
            revoked_at=None,
            created_at=now,
            scope=scope,
        )

    async def by_digest(self, digest: str) -> ApiKey | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(api_keys).where(api_keys.c.digest == digest))).first()
        return _key(row) if row else None

    async def by_id(self, key_id: int) -> ApiKey | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(api_keys).where(api_keys.c.id == key_id))).first()
        return _key(row) if row else None

    async def all(self, user_id: int | None = None) -> list[ApiKey]:
        query = select(api_keys).order_by(api_keys.c.id)
        if user_id is not None:
            query = query.where(api_keys.c.user_id == user_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_key(row) for row in rows]

    async def sealed(self, key_id: int) -> str | None:
        async with self._engine.connect() as conn:
            value = await conn.scalar(select(api_keys.c.sealed).where(api_keys.c.id == key_id))
        return str(value) if value is not None else None

    async def set_limits(self, key_id: int, limits: str | None) -> None:
        """`limits` as encode_limits gives it (None: no limits)."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(api_keys).where(api_keys.c.id == key_id).values(limits=limits)
            )
            await bump_config_version(conn)

    async def revoke(self, key_id: int) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
            if result.rowcount:
                await bump_config_version(conn)
        return bool(result.rowcount)


def _new_id(result: Any) -> int:
    return int(result.inserted_primary_key[0])
