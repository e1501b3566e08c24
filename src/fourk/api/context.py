"""What handlers reach through the app: one typed bundle, wired in create_app."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aiohttp import web

from fourk.providers.base import Provider
from fourk.routing.health import ChannelHealth
from fourk.services.authentication import Authenticator
from fourk.services.billing import Biller
from fourk.services.directory import Directory
from fourk.services.login_throttle import LoginThrottle
from fourk.services.relay import Relay
from fourk.services.store_bundle import Store
from fourk.services.two_factor import TwoFactor
from fourk.settings import Settings


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    directory: Directory
    authenticator: Authenticator
    relay: Relay
    store: Store
    throttle: LoginThrottle  # guesses at passwords and codes
    two_factor: TwoFactor
    providers: Mapping[str, Provider] = field(default_factory=dict)  # the relay's, by kind
    health: ChannelHealth = field(default_factory=ChannelHealth)  # the relay's cool-downs
    biller: Biller | None = None  # money: reservations, charges, top-ups seen by this node


SERVICES = web.AppKey("services", Services)
REQUEST_ID = web.RequestKey("fourk.request_id", str)
