"""The simulator over HTTP: OpenAI Responses and Chat Completions, Anthropic Messages,
model lists, plus a control API.

Routes (each API one with and without the `/v1` prefix):

- `POST /responses`, `POST /chat/completions`, `POST /messages`: SSE for `"stream": true`,
  JSON otherwise (see `simulator.py`); errors in the route's own shape. `/messages` takes
  the key as `x-api-key` or `Authorization: Bearer`.
- `GET /models`: the configured model list, OpenAI's list shape, or Anthropic's when the
  request has an `anthropic-version` header.
- `POST /_sim/faults` `{"faults": [...]}` queues faults; `GET` lists them; `DELETE` clears.
- `GET /_sim/requests` `{"requests": [...]}` (newest last); `DELETE` clears.
- `GET /_sim/health`.

Handlers stay thin: parse, record, authenticate, then hand the body to the `Simulator`.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import orjson
from aiohttp import web

from fourk.sim.anthropic_wire import encode_models
from fourk.sim.dialect import ANTHROPIC, RESPONSES, Dialect, dialect_named
from fourk.sim.faults import FaultSpecError, decode_faults, encode_fault
from fourk.sim.options import SimOptions
from fourk.sim.recorder import RequestLog
from fourk.sim.simulator import JSON_CONTENT_TYPE, SimConnectionCut, SimReply, Simulator

SIMULATOR = web.AppKey("fourk_sim_simulator", Simulator)
REQUEST_LOG = web.AppKey("fourk_sim_request_log", RequestLog)

MAX_BODY_BYTES = 64 * 1024 * 1024
MODELS_CREATED = 1_735_689_600  # 2025-01-01, a fixed `created` for the model list
ROUTES = (("/responses", "responses"), ("/chat/completions", "chat"), ("/messages", "anthropic"))
_NOT_JSON = object()

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_sim_app(
    options: SimOptions | None = None, *, simulator: Simulator | None = None
) -> web.Application:
    """The simulator's aiohttp application; pass `simulator` to share or script one."""
    sim = simulator if simulator is not None else Simulator(options or SimOptions())
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[SIMULATOR] = sim
    app[REQUEST_LOG] = RequestLog(sim.options.record_limit)
    for prefix in ("", "/v1"):
        for path, protocol in ROUTES:
            app.router.add_post(prefix + path, _answer_in(dialect_named(protocol)))
        app.router.add_get(f"{prefix}/models", _models)
    app.router.add_route("*", "/_sim/faults", _faults)
    app.router.add_route("*", "/_sim/requests", _requests)
    app.router.add_get("/_sim/health", _health)
    app.router.add_route("*", "/{tail:.*}", _unknown)
    return app


def _answer_in(dialect: Dialect) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return await _answer(request, dialect)

    return handler


async def _answer(request: web.Request, dialect: Dialect) -> web.StreamResponse:
    raw = await request.read()
    body = _parse_json(raw)
    _record(request, None if body is _NOT_JSON else body)
    simulator = request.app[SIMULATOR]
    denied = _check_auth(request, simulator.options, dialect)
    if denied is not None:
        return denied
    if body is _NOT_JSON:
        message = "We could not parse the JSON body of your request."
        return _error(400, message, "invalid_request_error", dialect=dialect)
    try:
        reply = await simulator.respond(
            body, headers=request.headers, request_size=len(raw), protocol=dialect.name
        )
    except SimConnectionCut:
        return _cut(request, web.Response())
    return await _send(request, reply)


async def _models(request: web.Request) -> web.StreamResponse:
    _record(request, None)
    options = request.app[SIMULATOR].options
    anthropic = "anthropic-version" in request.headers
    denied = _check_auth(request, options, ANTHROPIC if anthropic else RESPONSES)
    if denied is not None:
        return denied
    if anthropic:
        return _json(200, encode_models(options.models))
    data = [
        {"id": model, "object": "model", "created": MODELS_CREATED, "owned_by": "fourk-sim"}
        for model in options.models
    ]
    return _json(200, {"object": "list", "data": data})


async def _faults(request: web.Request) -> web.StreamResponse:
    queue = request.app[SIMULATOR].faults
    if request.method == "POST":
        try:
            queue.add(*decode_faults(_parse_json(await request.read())))
        except FaultSpecError as exc:
            return _error(400, str(exc), "invalid_request_error")
    elif request.method == "DELETE":
        queue.clear()
    elif request.method != "GET":
        return _error(405, f"{request.method} is not allowed here", "invalid_request_error")
    pending = [{**encode_fault(fault), "left": left} for fault, left in queue.pending()]
    return _json(200, {"faults": pending})


async def _requests(request: web.Request) -> web.StreamResponse:
    log = request.app[REQUEST_LOG]
    if request.method == "DELETE":
        log.clear()
    elif request.method != "GET":
        return _error(405, f"{request.method} is not allowed here", "invalid_request_error")
    return _json(200, {"requests": [entry.encode() for entry in log.entries()]})


async def _health(request: web.Request) -> web.StreamResponse:
    return _json(200, {"status": "ok"})


async def _unknown(request: web.Request) -> web.StreamResponse:
    _record(request, None)
    message = f"Invalid URL ({request.method} {request.path})"
    return _error(404, message, "invalid_request_error")


async def _send(request: web.Request, reply: SimReply) -> web.StreamResponse:
    if isinstance(reply.body, bytes):
        return web.Response(status=reply.status, body=reply.body, headers=reply.headers)
    response = web.StreamResponse(status=reply.status, headers=reply.headers)
    await response.prepare(request)  # headers go out now, before the first event
    try:
        async for chunk in reply.body:
            await response.write(chunk)
    except SimConnectionCut:
        return _cut(request, response)
    await response.write_eof()
    return response


def _cut(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """Drop the connection without finishing the response (a `cut` fault).

    aiohttp then finds the transport closed and sends nothing more: the client sees a
    chunked body that never ends, or no response at all.
    """
    if request.transport is not None:
        request.transport.abort()
    return response


def _check_auth(
    request: web.Request, options: SimOptions, dialect: Dialect
) -> web.StreamResponse | None:
    """None when the key is right; else the 401 in the dialect's shape.

    OpenAI routes take `Authorization: Bearer KEY`; Anthropic ones also `x-api-key: KEY`.
    """
    key = options.api_key
    if key is None:
        return None
    given = request.headers.get("Authorization")
    if given == f"Bearer {key}":
        return None
    anthropic = dialect is ANTHROPIC
    header_key = request.headers.get("x-api-key") if anthropic else None
    if header_key == key:
        return None
    if not given and not header_key:
        how = "'Authorization: Bearer <key>'"
        if anthropic:
            how = f"'x-api-key: <key>' or {how}"
        message = f"You didn't provide an API key. Send it as {how}."
        return _error(401, message, "invalid_request_error", dialect=dialect)
    message = "invalid x-api-key" if anthropic else "Incorrect API key provided."
    return _error(401, message, "invalid_request_error", "invalid_api_key", dialect=dialect)


def _record(request: web.Request, body: object) -> None:
    log = request.app[REQUEST_LOG]
    if request.app[SIMULATOR].options.record_limit > 0:
        log.record(request.method, request.path, request.query, request.headers, body)


def _parse_json(raw: bytes) -> object:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _NOT_JSON


def _json(status: int, payload: object) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(payload), content_type=JSON_CONTENT_TYPE)


def _error(
    status: int,
    message: str,
    type_: str,
    code: str | None = None,
    *,
    dialect: Dialect = RESPONSES,
) -> web.Response:
    return _json(status, dialect.error_body(status, message, type_, code, None))


@dataclass(frozen=True, slots=True)
class SimServer:
    """A running simulator: its base URL (no `/v1`) and how to stop it."""

    url: str
    app: web.Application
    runner: web.AppRunner

    @property
    def simulator(self) -> Simulator:
        return self.app[SIMULATOR]

    @property
    def requests(self) -> RequestLog:
        return self.app[REQUEST_LOG]

    async def close(self) -> None:
        await self.runner.cleanup()


async def start_sim(
    host: str = "127.0.0.1", port: int = 0, options: SimOptions | None = None
) -> SimServer:
    """Serve the simulator on host:port (0 picks a free port) until `close()`."""
    app = create_sim_app(options)
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, handler_cancellation=True, shutdown_timeout=1.0
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=1024)
    await site.start()
    bound_port = runner.addresses[0][1]
    shown = f"[{host}]" if ":" in host else host
    return SimServer(url=f"http://{shown}:{bound_port}", app=app, runner=runner)


def run_sim(host: str, port: int, options: SimOptions) -> None:
    """Serve until SIGINT or SIGTERM; say `fourk sim listening on http://HOST:PORT` on stderr."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_forever(host, port, options))


async def _serve_forever(host: str, port: int, options: SimOptions) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    server = await start_sim(host, port, options)
    print(f"fourk sim listening on {server.url}", file=sys.stderr, flush=True)
    try:
        await stop.wait()
    finally:
        await server.close()
