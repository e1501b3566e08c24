"""The baseline: the smallest honest aiohttp pass-through relay for the Responses API.

It forwards the request body and the Authorization header to ``UPSTREAM/v1/responses`` over
one pooled ``aiohttp.ClientSession`` and streams the upstream bytes back as they arrive, with
the same status and content type. No auth, no logging, no parsing: what fourk costs on top of
this is what fourk's features cost.

    python bench/bare_relay.py --port 8101 --upstream http://127.0.0.1:8100
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

import aiohttp
from aiohttp import web

SESSION_KEY = web.AppKey("session", aiohttp.ClientSession)
UPSTREAM_KEY = web.AppKey("upstream", str)
FORWARDED_HEADERS = ("Authorization", "Content-Type")


def forward_headers(request: web.Request) -> dict[str, str]:
    """The request headers the relay passes upstream (like fourk, no x-sim-* knobs)."""
    return {name: request.headers[name] for name in FORWARDED_HEADERS if name in request.headers}


async def relay_responses(request: web.Request) -> web.StreamResponse:
    """POST /v1/responses and /responses: pass the stream through, byte for byte."""
    session = request.app[SESSION_KEY]
    body = await request.read()
    url = request.app[UPSTREAM_KEY] + "/v1/responses"
    try:
        async with session.post(url, data=body, headers=forward_headers(request)) as upstream:
            response = web.StreamResponse(status=upstream.status)
            content_type = upstream.headers.get("Content-Type")
            if content_type:
                response.headers["Content-Type"] = content_type
            await response.prepare(request)
            async for chunk in upstream.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
            return response
    except (aiohttp.ClientError, TimeoutError) as exc:
        message = f"upstream failed: {type(exc).__name__}: {exc}"
        return web.json_response({"error": {"message": message, "type": "upstream"}}, status=502)


async def open_session(app: web.Application) -> None:
    """One pooled client session for the app's lifetime."""
    connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=None)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=60)
    app[SESSION_KEY] = aiohttp.ClientSession(connector=connector, timeout=timeout)


async def close_session(app: web.Application) -> None:
    await app[SESSION_KEY].close()


def create_app(upstream: str) -> web.Application:
    app = web.Application()
    app[UPSTREAM_KEY] = upstream.rstrip("/")
    app.on_startup.append(open_session)
    app.on_cleanup.append(close_session)
    app.router.add_post("/v1/responses", relay_responses)
    app.router.add_post("/responses", relay_responses)
    return app


async def serve(host: str, port: int, upstream: str) -> None:
    """Serve until SIGINT or SIGTERM."""
    runner = web.AppRunner(create_app(upstream), access_log=None)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await web.TCPSite(runner, host, port).start()
        print(f"bare relay listening on http://{host}:{port} -> {upstream}", file=sys.stderr)
        await stop.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description="bare aiohttp pass-through relay (bench baseline)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True, help="e.g. http://127.0.0.1:8100")
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port, args.upstream))


if __name__ == "__main__":
    main()
