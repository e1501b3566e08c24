"""Managing channels (upstream accounts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

from fourk.providers.registry import KINDS
from fourk.services.directory import CHANNEL_SECRET
from fourk.services.store_bundle import Store
from fourk.store.channels import ChannelRow


class ChannelError(ValueError):
    pass


async def add_channel(
    store: Store,
    *,
    name: str,
    kind: str,
    base_url: str,
    models: Sequence[str],
    api_key: str | None,
    priority: int = 0,
    weight: int = 1,
    options: dict[str, Any] | None = None,
) -> int:
    if kind not in KINDS:
        raise ChannelError(f"unknown channel kind {kind!r}; choose one of {', '.join(KINDS)}")
    parsed = urlparse(base_url)
    if kind != "sim" and (parsed.scheme not in ("http", "https") or not parsed.netloc):
        raise ChannelError(
            f"base URL {base_url!r} must be an http(s) URL, for example https://api.openai.com/v1"
        )
    cleaned = [m.strip() for m in models if m.strip()]
    if not cleaned:
        raise ChannelError("a channel must serve at least one model (--models a,b)")
    if weight < 0:
        raise ChannelError("weight must be 0 or more")
    sealed = store.sealer.seal(api_key, CHANNEL_SECRET) if api_key else None
    return await store.channels.create(
        name=name,
        kind=kind,
        base_url=base_url.rstrip("/"),
        sealed_secret=sealed,
        models=cleaned,
        priority=priority,
        weight=weight,
        options=options,
    )


async def find_channel(store: Store, name: str) -> ChannelRow:
    row = await store.channels.by_name(name)
    if row is None:
        raise ChannelError(f"there is no channel named {name!r}")
    return row


async def set_enabled(store: Store, name: str, enabled: bool) -> None:
    row = await find_channel(store, name)
    await store.channels.update(row.id, enabled=enabled)
