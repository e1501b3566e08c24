"""Opening the store for a command: engine, migrations, repositories and the sealer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from fourk.sealer import Sealer, load_server_key
from fourk.settings import Settings
from fourk.store.channel_stats import ChannelStatsReader
from fourk.store.channels import Channels
from fourk.store.db import create_engine, migrate
from fourk.store.invites import Invites
from fourk.store.keys import Keys
from fourk.store.ledger import Ledger
from fourk.store.log_reader import LogReader
from fourk.store.logs import RequestLogs
from fourk.store.models_catalog import ModelsCatalog
from fourk.store.prices import Prices
from fourk.store.recovery_codes import RecoveryCodes
from fourk.store.redemption_codes import RedemptionCodes
from fourk.store.sessions import Sessions
from fourk.store.site import SiteSettingsStore
from fourk.store.users import Users


class DataDirMissing(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Store:
    engine: AsyncEngine
    sealer: Sealer
    users: Users
    keys: Keys
    channels: Channels
    logs: RequestLogs
    sessions: Sessions
    site: SiteSettingsStore
    invites: Invites
    log_reader: LogReader
    ledger: Ledger
    prices: Prices
    recovery_codes: RecoveryCodes
    models: ModelsCatalog
    channel_stats: ChannelStatsReader
    redemption_codes: RedemptionCodes


def build_store(engine: AsyncEngine, sealer: Sealer) -> Store:
    return Store(
        engine=engine,
        sealer=sealer,
        users=Users(engine),
        keys=Keys(engine),
        channels=Channels(engine),
        logs=RequestLogs(engine),
        sessions=Sessions(engine),
        site=SiteSettingsStore(engine),
        invites=Invites(engine),
        log_reader=LogReader(engine),
        ledger=Ledger(engine),
        prices=Prices(engine),
        recovery_codes=RecoveryCodes(engine),
        models=ModelsCatalog(engine),
        channel_stats=ChannelStatsReader(engine),
        redemption_codes=RedemptionCodes(engine),
    )


@asynccontextmanager
async def open_store(settings: Settings, *, create: bool = False) -> AsyncIterator[Store]:
    """The store for `settings`. With `create`, make the data dir and bring the schema up to
    date; without, refuse a data dir that does not exist yet (a clear error, not a new
    empty database in the wrong place)."""
    data_dir = settings.data_dir
    if create:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    elif not data_dir.is_dir():
        raise DataDirMissing(
            f"The data directory {data_dir} does not exist. Start the server once with "
            f"`fourk serve --data-dir {data_dir}` or run `fourk migrate --data-dir {data_dir}`."
        )
    engine = create_engine(settings.effective_database_url)
    try:
        await migrate(engine)
        yield build_store(engine, Sealer(load_server_key(data_dir, settings.secret_key)))
    finally:
        await engine.dispose()
