"""Upstreams that speak the OpenAI Responses API (OpenAI itself, Azure-style proxies, relays).

One pooled aiohttp session for all of them; the connector keeps connections per host.
"""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp

from fourk.providers.base import UpstreamCall, UpstreamConnectError, UpstreamReply, read_up_to

# Client headers worth passing on: they help upstream prompt caching and tracing and carry
# nothing secret. Authorization is always replaced by the channel's own credential.
FORWARDED_HEADERS = (
    "session-id",
    "thread-id",
    "x-client-request-id",
    "x-codex-turn-metadata",
    "x-codex-turn-state",
    "x-openai-subagent",
    "originator",
    "user-agent",
)


class AiohttpReply:
    __slots__ = ("_response", "headers", "status")

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self.status = response.status
        self.headers: Mapping[str, str] = response.headers

    async def read_chunk(self) -> bytes:
        try:
            return await self._response.content.readany()
        except TimeoutError:
            raise  # aiohttp's idle (sock_read) timeout
        except aiohttp.ClientPayloadError as exc:
            raise UpstreamConnectError(f"upstream body broke off: {exc}") from exc
        except (aiohttp.ClientConnectionError, ConnectionError) as exc:
            raise UpstreamConnectError(f"upstream connection lost: {exc}") from exc

    async def read_all(self, limit: int) -> bytes:
        return await read_up_to(self.read_chunk, limit)

    def close(self) -> None:
        self._response.close()


class OpenAIResponsesProvider:
    kind = "openai-responses"
    wire = "responses"
    path = "/responses"

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    def headers(self, call: UpstreamCall) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "Accept": "text/event-stream" if call.stream else "application/json",
        }
        for name in (*FORWARDED_HEADERS, *call.channel.options.get("forward_headers", ())):
            value = call.headers.get(name)
            if value:
                headers[name] = value
        if call.channel.secret:
            headers["Authorization"] = "Bearer " + call.channel.secret
        return headers

    async def open(self, call: UpstreamCall) -> UpstreamReply:
        url = call.channel.base_url.rstrip("/") + self.path
        return await post(self._session, url, call.body, self.headers(call))

    async def close(self) -> None:
        return None


async def post(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]
) -> UpstreamReply:
    """One upstream POST whose status and headers have arrived."""
    try:
        response = await session.post(url, data=body, headers=headers)
    except TimeoutError:
        raise  # includes aiohttp's read timeout: the caller's deadline logic decides
    except (aiohttp.ClientError, OSError) as exc:
        raise UpstreamConnectError(_describe(exc)) from exc
    return AiohttpReply(response)


def _describe(exc: BaseException) -> str:
    """A reason without addresses: upstream URLs may be internal and must not leak."""
    return type(exc).__name__
