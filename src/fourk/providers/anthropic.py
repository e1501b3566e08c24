"""Upstreams that speak the Anthropic Messages API. `base_url` is the API root as the
Anthropic SDK takes it (`https://api.anthropic.com`); the request goes to
`{base_url}/v1/messages` (a base_url already ending in `/v1` is taken as it is).

Options: `anthropic_version` (default 2023-06-01), `anthropic_beta` (a comma-separated list
sent as `anthropic-beta`), `auth: "bearer"` for gateways that want `Authorization: Bearer`
instead of `x-api-key`. `check_anthropic_options` checks these and the request encoder's
(`fourk.protocols.messages.request_encode`) when a channel is saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from fourk.protocols.messages.request_encode import ADAPTIVE_EFFORTS, THINKING_BUDGETS
from fourk.providers.base import UpstreamCall, UpstreamReply
from fourk.providers.openai_responses import post

ANTHROPIC_VERSION = "2023-06-01"
# Client headers worth passing on to Anthropic (Claude Code sends its betas this way).
FORWARDED_HEADERS = ("anthropic-beta", "user-agent")
# every option an anthropic channel reads: the request encoder's, then this module's
ANTHROPIC_OPTIONS = (
    "max_tokens",
    "max_tokens_limit",
    "thinking",
    "thinking_mode",
    "thinking_budgets",
    "default_effort",
    "prompt_cache",
    "extra_body",
    "anthropic_version",
    "anthropic_beta",
    "auth",
)
_EFFORTS = tuple(dict.fromkeys((*THINKING_BUDGETS, *ADAPTIVE_EFFORTS)))


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


def check_anthropic_options(options: Mapping[str, Any]) -> None:
    """ValueError naming the first wrong option of an anthropic channel (unknown keys are
    the caller's business: see ANTHROPIC_OPTIONS)."""
    for name in ("max_tokens", "max_tokens_limit"):
        if name in options and not _whole(options[name], least=1):
            raise ValueError(f"channel option '{name}' must be a whole number above 0")
    for name in ("thinking", "prompt_cache"):
        if name in options and not isinstance(options[name], bool):
            raise ValueError(f"channel option '{name}' must be true or false")
    _one_of(options, "thinking_mode", ("budget", "adaptive"))
    _one_of(options, "default_effort", ("none", "minimal", *_EFFORTS))
    _one_of(options, "auth", ("x-api-key", "bearer"))
    for name in ("anthropic_version", "anthropic_beta"):
        value = options.get(name, "x")
        if not isinstance(value, str) or not value.strip() or not value.isprintable():
            raise ValueError(f"channel option '{name}' must be text on one line")
    if not isinstance(options.get("extra_body", {}), Mapping):
        raise ValueError("channel option 'extra_body' must be a JSON object")
    budgets = options.get("thinking_budgets", {})
    if not isinstance(budgets, Mapping) or not all(
        key in _EFFORTS and _whole(value, least=0) for key, value in budgets.items()
    ):
        raise ValueError(
            "channel option 'thinking_budgets' must map efforts "
            f'({", ".join(_EFFORTS)}) to token counts, e.g. {{"high": 16000}}'
        )


def _whole(value: object, *, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _one_of(options: Mapping[str, Any], name: str, values: tuple[str, ...]) -> None:
    if name in options and options[name] not in values:
        raise ValueError(
            f"channel option '{name}' must be one of {', '.join(repr(v) for v in values)}"
        )
