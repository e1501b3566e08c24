"""create_app(settings): wires the store, caches, HTTP client, services and routes."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
from aiohttp import web

from fourk.accounts.attempt_store import MemoryAttemptStore
from fourk.api.context import SERVICES, Services
from fourk.api.errors import error_middleware
from fourk.api.routes import add_routes
from fourk.billing.wallet import MemoryWallet
from fourk.dashboard.routes import add_dashboard_routes
from fourk.dashboard.session import dashboard_middleware
from fourk.limits import MemoryLimitStore
from fourk.providers.registry import build_providers
from fourk.routing.health import ChannelHealth
from fourk.sealer import Sealer, load_server_key
from fourk.services.authentication import Authenticator
from fourk.services.billing import Biller
from fourk.services.compaction import Compactor
from fourk.services.directory import Directory
from fourk.services.limits_gate import LimitsGate
from fourk.services.log_writer import LogWriter
from fourk.services.login_throttle import LoginThrottle
from fourk.services.relay import Relay
from fourk.services.site import SiteConfig
from fourk.services.store_bundle import build_store
from fourk.services.two_factor import TwoFactor
from fourk.settings import Settings
from fourk.store.db import create_engine
from fourk.store.meta import config_version


def create_app(settings: Settings, site_defaults: SiteConfig | None = None) -> web.Application:
    """The whole server. `site_defaults` are the site settings until the operator changes
    them (`--demo` opens sign-up)."""
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[error_middleware(), dashboard_middleware()],
    )
    app.cleanup_ctx.append(lambda app: _lifespan(app, settings, site_defaults or SiteConfig()))
    add_routes(app)
    add_dashboard_routes(app)
    return app


async def _lifespan(
    app: web.Application, settings: Settings, site_defaults: SiteConfig
) -> AsyncIterator[None]:
    engine = create_engine(settings.effective_database_url)
    store = build_store(engine, Sealer(load_server_key(settings.data_dir, settings.secret_key)))
    directory = Directory(
        users=store.users,
        keys=store.keys,
        channels=store.channels,
        sealer=store.sealer,
        version=lambda: config_version(engine),
        site=store.site,
        site_defaults=site_defaults,
        catalog=store.models,
        prices=store.prices,
    )
    await directory.reload()
    biller = Biller(MemoryWallet(), store.ledger, directory, settings.base_url)
    await biller.start()
    directory.listeners.append(biller.refresh)
    limits = LimitsGate(MemoryLimitStore(), store.ledger)
    await limits.seed(directory)
    directory.listeners.append(lambda: limits.seed(directory))
    watcher = asyncio.get_running_loop().create_task(
        directory.watch(settings.cache_poll_interval), name="directory-watch"
    )
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300, keepalive_timeout=60),
        timeout=aiohttp.ClientTimeout(
            total=None, sock_connect=settings.connect_timeout, sock_read=settings.idle_timeout
        ),
        auto_decompress=True,
    )
    providers = build_providers(session)
    writer = LogWriter(store.logs, settings.log_batch_max)
    writer.start()
    health = ChannelHealth(settings.channel_cooldown)
    relay = Relay(
        settings=settings,
        directory=directory,
        providers=providers,
        writer=writer,
        health=health,
        biller=biller,
        limits=limits,
        compactor=Compactor(store.sealer),
    )
    utc_now = functools.partial(datetime.now, UTC)
    app[SERVICES] = Services(
        settings=settings,
        directory=directory,
        authenticator=Authenticator(directory),
        relay=relay,
        store=store,
        throttle=LoginThrottle(MemoryAttemptStore(utc_now), utc_now),
        two_factor=TwoFactor(store, MemoryAttemptStore(utc_now), utc_now),
        providers=providers,
        health=health,
        biller=biller,
    )
    try:
        yield
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        await writer.close()
        for provider in providers.values():
            await provider.close()
        await session.close()
        await engine.dispose()
