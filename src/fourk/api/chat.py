"""POST /v1/chat/completions and /chat/completions: any OpenAI Chat client, any upstream."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fourk.api.responses import relay_client_body
from fourk.protocols.chat.request_decode import decode_chat_request


async def create_chat_completion(request: web.Request) -> web.StreamResponse:
    return await relay_client_body(request, "chat", _decode)


def _decode(body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    decoded = decode_chat_request(body)
    return decoded.body, decoded.include_usage
