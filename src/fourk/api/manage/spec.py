"""One management API route as data: what serves it, who may call it, what it takes and
answers. The route table (routes.py) is the single source of both the aiohttp routes and
the OpenAPI document, so the two cannot drift."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from fourk.api.manage.access import ACCESS_LEVELS, admit
from fourk.api.manage.errors import translate
from fourk.errors import FourkError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_PATH_PARAM = re.compile(r"\{(\w+)(?::([^}]*))?\}")
INT_PATTERN = r"\d+"


@dataclass(frozen=True, slots=True)
class Query:
    name: str
    type: str  # "string" | "integer"
    description: str


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str  # aiohttp pattern; ids are {name:\d+}
    name: str  # "api:…", also the OpenAPI operationId without the prefix
    handler: Handler
    access: str  # "public" | "user" | "admin"
    tag: str
    summary: str
    body: str | None = None  # the request body's schema (components/schemas)
    answer: str | None = None  # the success answer's schema
    many: bool = False  # the answer is {"data": [answer, ...]}
    status: int = 200
    query: tuple[Query, ...] = ()

    def __post_init__(self) -> None:
        assert self.name.startswith("api:") and self.access in ACCESS_LEVELS, self.name

    @property
    def openapi_path(self) -> str:
        return _PATH_PARAM.sub(lambda m: "{" + m.group(1) + "}", self.path)

    def path_params(self) -> list[tuple[str, str]]:
        """(name, "integer" | "string") of each path parameter, in order."""
        return [
            (m.group(1), "integer" if m.group(2) == INT_PATTERN else "string")
            for m in _PATH_PARAM.finditer(self.path)
        ]


def guarded(route: Route) -> Handler:
    """The route's handler behind its access check, with service failures as API errors."""

    async def handle(request: web.Request) -> web.StreamResponse:
        await admit(request, route.access)
        try:
            return await route.handler(request)
        except FourkError:
            raise
        except Exception as exc:
            error = translate(exc)
            if error is None:
                raise
            raise error from exc

    return handle


def register(app: web.Application, routes: tuple[Route, ...]) -> None:
    for route in routes:
        app.router.add_route(route.method, route.path, guarded(route), name=route.name)
