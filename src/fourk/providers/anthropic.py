"""Upstreams that speak the Anthropic Messages API. `base_url` is the API root as the
Anthropic SDK takes it (`https://api.anthropic.com`); the request goes to
`{base_url}/v1/messages` (a base_url already ending in `/v1` is taken as it is).

Options: `anthropic_version` (default 2023-06-01), `anthropic_beta` (a comma-separated list
sent as `anthropic-beta`), `auth: "bearer"` for gateways that want `Authorization: Bearer`
instead of `x-api-key`.
"""

from __future__ import annotations

import aiohttp

from fourk.providers.base import UpstreamCall, UpstreamReply
from fourk.providers.openai_responses import post

ANTHROPIC_VERSION = "2023-06-01"
# Client headers worth passing on to Anthropic (Claude Code sends its betas this way).
FORWARDED_HEADERS = ("anthropic-beta", "user-agent")


class AnthropicProvider:
    kind = "anthropic"
    wire = "messages"

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def open(self, call: UpstreamCall) -> UpstreamReply:
        return await post(
            self._session, messages_url(call.channel.base_url), call.body, anthropic_headers(call)
        )

    async def close(self) -> None:
        return None


def messages_url(base_url: str) -> str:
    root = base_url.rstrip("/")
    return root + ("/messages" if root.endswith("/v1") else "/v1/messages")


def anthropic_headers(call: UpstreamCall) -> dict[str, str]:
    options = call.channel.options
    headers = {
        "Content-Type": "application/json",
        "Accept": "text/event-stream" if call.stream else "application/json",
        "anthropic-version": str(options.get("anthropic_version") or ANTHROPIC_VERSION),
    }
    for name in FORWARDED_HEADERS:
        value = call.headers.get(name)
        if value:
            headers[name] = value
    if options.get("anthropic_beta"):
        headers["anthropic-beta"] = str(options["anthropic_beta"])
    if call.channel.secret:
        if options.get("auth") == "bearer":
            headers["Authorization"] = "Bearer " + call.channel.secret
        else:
            headers["x-api-key"] = call.channel.secret
    return headers
