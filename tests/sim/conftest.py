"""Fixtures for the simulator tests: HTTP client and server factories, an SSE decoder."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from fourk.protocols.sse import SSEDecoder
from fourk.sim import SimOptions, SimServer, create_sim_app, start_sim

MakeClient = Callable[..., Awaitable[TestClient[Any, Any]]]
DecodeSSE = Callable[[bytes], list[dict[str, Any]]]


def decode_events(data: bytes) -> list[dict[str, Any]]:
    """Every event's JSON payload; also checks each `event:` line repeats the `type`."""
    decoder = SSEDecoder()
    events = decoder.feed(data) + decoder.flush()
    payloads = []
    for event in events:
        payload = event.json()
        assert isinstance(payload, dict)
        assert event.event == payload["type"]
        payloads.append(payload)
    return payloads


@pytest.fixture
def decode_sse() -> DecodeSSE:
    """`decode_events`, for tests that take it as a fixture."""
    return decode_events


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    """Start a simulator app with the given options; every client is closed afterwards."""
    clients: list[TestClient[Any, Any]] = []

    async def make(options: SimOptions | None = None) -> TestClient[Any, Any]:
        client: TestClient[Any, Any] = TestClient(TestServer(create_sim_app(options)))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


MakeSim = Callable[..., Awaitable[SimServer]]


@pytest.fixture
async def make_sim() -> AsyncIterator[MakeSim]:
    """Serve a simulator on a free loopback port (for the real SDKs); closed afterwards."""
    servers: list[SimServer] = []

    async def make(options: SimOptions | None = None) -> SimServer:
        server = await start_sim("127.0.0.1", 0, options or SimOptions())
        servers.append(server)
        return server

    yield make
    for server in servers:
        await server.close()
