"""The in-memory directory of keys, users and channels that the hot path reads.

It is loaded whole at start and again whenever the store's config version moves (the CLI,
the dashboard or another replica changed something); a key the directory has not seen yet
costs one database read, and unknown keys are remembered briefly so guessing costs nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from fourk.accounts.records import ApiKey, User
from fourk.billing.default_prices import DEFAULT_PRICES
from fourk.billing.pricing import Price
from fourk.routing.catalog import index_models
from fourk.routing.channel import Channel
from fourk.sealer import Sealer, SealError
from fourk.services.site import SiteConfig, decode_site
from fourk.store.channels import ChannelRow, Channels
from fourk.store.keys import Keys
from fourk.store.models_catalog import ModelsCatalog
from fourk.store.prices import Prices
from fourk.store.site import SiteSettingsStore
from fourk.store.users import Users

log = logging.getLogger("fourk.directory")

CHANNEL_SECRET = "channel-secret"
_NEGATIVE_TTL = 1.0
_NEGATIVE_MAX = 10_000


class Directory:
    def __init__(
        self,
        *,
        users: Users,
        keys: Keys,
        channels: Channels,
        sealer: Sealer,
        version: Callable[[], Awaitable[int]],
        site: SiteSettingsStore | None = None,
        site_defaults: SiteConfig | None = None,
        catalog: ModelsCatalog | None = None,
        prices: Prices | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._site = site
        self._catalog = catalog
        self._prices = prices
        self.prices: dict[str, Price] = dict(DEFAULT_PRICES)  # model → price (operator's win)
        self._site_defaults = site_defaults or SiteConfig()
        self.site = self._site_defaults
        self._users = users
        self._keys = keys
        self._channels = channels
        self._sealer = sealer
        self._read_version = version
        self._clock = clock
        self.version = -1
        self.keys_by_digest: dict[str, ApiKey] = {}
        self.users_by_id: dict[int, User] = {}
        self.channels: list[Channel] = []
        self.by_model: dict[str, list[Channel]] = {}
        self.aliases: dict[str, str] = {}  # alias → the model the upstream receives
        self._listed: tuple[str, ...] = ()
        self._unknown: dict[str, float] = {}
        # called after a reload caused by a change elsewhere (e.g. the wallet's top-ups)
        self.listeners: list[Callable[[], Awaitable[None]]] = []

    async def reload(self) -> None:
        version = await self._current_version()
        keys = await self._keys.all()
        users = await self._users.all()
        rows = await self._channels.all()
        entries = await self._catalog.all() if self._catalog is not None else []
        if self._prices is not None:
            self.prices = {**DEFAULT_PRICES, **await self._prices.all()}
        if self._site is not None:
            self.site = decode_site(await self._site.all(), self._site_defaults)
        self.keys_by_digest = {k.digest: k for k in keys}
        self.users_by_id = {u.id: u for u in users}
        self.channels = [c for c in (self._open(row) for row in rows) if c is not None]
        index = index_models(self.channels, entries)
        self.by_model = index.by_model
        self.aliases = index.targets
        self._listed = index.listed
        self._unknown.clear()
        self.version = version

    async def refresh_if_changed(self) -> bool:
        if await self._current_version() == self.version:
            return False
        await self.reload()
        for listener in self.listeners:
            await listener()
        return True

    async def watch(self, interval: float) -> None:
        """Poll the config version until cancelled (one tiny query per interval)."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.refresh_if_changed()
            except Exception:  # a store hiccup must not end the watch
                log.exception("directory refresh failed; keeping the last good copy")

    async def find_key(self, digest: str) -> ApiKey | None:
        """Memory first; on a miss one store read, remembered either way."""
        key = self.keys_by_digest.get(digest)
        if key is not None:
            return key
        now = self._clock()
        if self._unknown.get(digest, 0.0) > now:
            return None
        key = await self._keys.by_digest(digest)
        if key is None:
            if len(self._unknown) >= _NEGATIVE_MAX:
                self._unknown.clear()
            self._unknown[digest] = now + _NEGATIVE_TTL
            return None
        if key.user_id not in self.users_by_id:
            user = await self._users.by_id(key.user_id)
            if user is not None:
                self.users_by_id[user.id] = user
        self.keys_by_digest[digest] = key
        return key

    def price(self, model: str) -> Price | None:
        """The price of a model name, or of the model an alias stands for."""
        found = self.prices.get(model)
        if found is None and model in self.aliases:
            found = self.prices.get(self.aliases[model])
        return found

    def served_models(self) -> list[str]:
        """The names people see, in the operator's order (hidden names still route)."""
        return list(self._listed)

    async def _current_version(self) -> int:
        return await self._read_version()

    def _open(self, row: ChannelRow) -> Channel | None:
        secret = None
        if row.sealed_secret:
            try:
                secret = self._sealer.open(row.sealed_secret, CHANNEL_SECRET)
            except SealError:
                log.error(
                    "channel %s: its secret does not open with this server key; channel skipped",
                    row.name,
                )
                return None
        return Channel(
            id=row.id,
            name=row.name,
            kind=row.kind,
            base_url=row.base_url,
            models=row.models,
            priority=row.priority,
            weight=row.weight,
            enabled=row.enabled,
            secret=secret,
            options=row.options,
        )
