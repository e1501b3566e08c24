"""Turning any failure into the client's own error shape, never a traceback."""

from __future__ import annotations

import itertools
import logging
import secrets
from collections.abc import Awaitable, Callable

import orjson
from aiohttp import web
from aiohttp.typedefs import Middleware

from fourk.api.context import REQUEST_ID, SERVICES
from fourk.errors import BodyTooLarge, FourkError, InternalError, InvalidRequest, NotFound

log = logging.getLogger("fourk.api")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class RequestIds:
    """Unique request ids without a random draw each: a random per-process prefix (so
    replicas and restarts never collide) and a counter."""

    __slots__ = ("_next", "_prefix")

    def __init__(self) -> None:
        self._prefix = "req_" + secrets.token_hex(6)
        self._next = itertools.count(1).__next__

    def new(self) -> str:
        return f"{self._prefix}{self._next():010x}"


def error_response(error: FourkError, request_id: str, *, anthropic: bool = False) -> web.Response:
    headers = {"X-Request-Id": request_id, **error.headers()}
    if anthropic:
        headers["request-id"] = request_id
    return web.Response(
        status=error.status,
        body=orjson.dumps(error.anthropic_body() if anthropic else error.openai_body()),
        content_type="application/json",
        headers=headers,
    )


def error_middleware() -> Middleware:
    """The outermost middleware: a request id for everything, and every failure turned into
    the client's error shape."""
    ids = RequestIds()

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        request_id = ids.new()
        request[REQUEST_ID] = request_id
        return await _answer(request, handler, request_id)

    return middleware


def speaks_anthropic(request: web.Request) -> bool:
    """The client is an Anthropic one: its errors go out in Anthropic's shape."""
    return request.path.endswith("/messages") or "anthropic-version" in request.headers


async def _answer(request: web.Request, handler: Handler, request_id: str) -> web.StreamResponse:
    try:
        return await handler(request)
    except FourkError as error:
        anthropic = speaks_anthropic(request)
        return error_response(error, request_id, anthropic=anthropic)
    except web.HTTPRequestEntityTooLarge:
        anthropic = speaks_anthropic(request)
        return error_response(
            BodyTooLarge(
                f"The request body is larger than this service accepts "
                f"({request.app[SERVICES].settings.max_body_bytes} bytes)."
            ),
            request_id,
            anthropic=anthropic,
        )
    except web.HTTPNotFound:
        return error_response(_no_route(request), request_id, anthropic=speaks_anthropic(request))
    except web.HTTPMethodNotAllowed as exc:
        allowed = ", ".join(sorted(exc.allowed_methods))
        anthropic = speaks_anthropic(request)
        return error_response(
            InvalidRequest(
                f"{request.method} is not allowed on {request.path}; use {allowed}.",
                code="method_not_allowed",
            ),
            request_id,
            anthropic=anthropic,
        )
    except web.HTTPException:
        raise
    except Exception:
        log.exception("unhandled error in %s %s (%s)", request.method, request.path, request_id)
        anthropic = speaks_anthropic(request)
        return error_response(
            InternalError(
                f"Something went wrong inside fourk; it has been logged (request {request_id})."
            ),
            request_id,
            anthropic=anthropic,
        )


def _no_route(request: web.Request) -> NotFound:
    path = request.path
    hint = ""
    if path.endswith("/responses") and path != "/v1/responses":
        hint = (
            " Codex's base_url must be this service's root URL (no /v1 and no path), "
            "for example http://host:port; Codex adds /responses itself."
        )
    return NotFound(
        f"There is no endpoint {request.method} {path}.{hint} fourk serves "
        "POST /responses, POST /v1/responses, POST /v1/chat/completions, POST /v1/messages, "
        "GET /models and GET /v1/models."
    )
