"""What handlers reach through the app: one typed bundle, wired in create_app."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from fourk.services.authentication import Authenticator
from fourk.services.directory import Directory
from fourk.services.relay import Relay
from fourk.services.store_bundle import Store
from fourk.settings import Settings


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    directory: Directory
    authenticator: Authenticator
    relay: Relay
    store: Store


SERVICES = web.AppKey("services", Services)
REQUEST_ID = "fourk.request_id"
