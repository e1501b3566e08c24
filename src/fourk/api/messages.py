"""POST /v1/messages: Anthropic clients (Claude Code, the anthropic SDK), any upstream."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fourk.api.responses import relay_client_body
from fourk.protocols.messages.request_decode import decode_messages_request


async def create_message(request: web.Request) -> web.StreamResponse:
    return await relay_client_body(request, "messages", _decode)


def _decode(body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    return decode_messages_request(body).body, False
