"""Running the gateway process: logging, the listener, graceful shutdown."""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from fourk.app import create_app
from fourk.services.site import SiteConfig
from fourk.settings import Settings


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def run_server(settings: Settings, site_defaults: SiteConfig | None = None) -> None:
    configure_logging()

    def announce(_: object) -> None:
        print(
            f"fourk listening on http://{settings.host}:{settings.port} "
            f"(public base_url: {settings.base_url})",
            file=sys.stderr,
            flush=True,
        )

    web.run_app(
        create_app(settings, site_defaults),
        host=settings.host,
        port=settings.port,
        access_log=None,
        print=announce,
        shutdown_timeout=10.0,
    )
