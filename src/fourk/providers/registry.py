"""The one list of provider kinds."""

from __future__ import annotations

import aiohttp

from fourk.providers.base import Provider
from fourk.providers.openai_responses import OpenAIResponsesProvider
from fourk.providers.sim import SimProvider

KINDS: tuple[str, ...] = ("openai-responses", "sim")


def build_providers(session: aiohttp.ClientSession) -> dict[str, Provider]:
    return {
        "openai-responses": OpenAIResponsesProvider(session),
        "sim": SimProvider(),
    }
