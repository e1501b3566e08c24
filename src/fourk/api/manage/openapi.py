"""The OpenAPI 3.1 document of the management API, built from the route table, and the
handler that serves it (GET /api/openapi.json)."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from aiohttp import web

from fourk.accounts.sessions import COOKIE
from fourk.api.manage.schemas import components
from fourk.api.manage.spec import Route
from fourk.dashboard.session import CSRF_HEADER

OPENAPI = web.AppKey("fourk.openapi", bytes)
_ERRORS = {
    "400": "The request is malformed or a value is not allowed.",
    "401": "No or bad credentials.",
    "403": "The caller may not do this (not an admin; CSRF token missing on a session call).",
    "404": "No such thing (or it belongs to someone else).",
    "409": "It conflicts with what exists (a name taken; the last admin).",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _answer_schema(route: Route) -> dict[str, Any]:
    if route.answer is None:
        return {"type": "object"}
    if route.many:
        return {
            "type": "object",
            "properties": {"data": {"type": "array", "items": _ref(route.answer)}},
            "required": ["data"],
        }
    return _ref(route.answer)


def _parameters(route: Route) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": kind}}
        for name, kind in route.path_params()
    ]
    params += [
        {"name": q.name, "in": "query", "description": q.description, "schema": {"type": q.type}}
        for q in route.query
    ]
    return params


def operation(route: Route) -> dict[str, Any]:
    responses: dict[str, Any] = {
        str(route.status): {"description": "Success", "content": _json(_answer_schema(route))}
    }
    for status, text in _ERRORS.items():
        responses[status] = {"description": text, "content": _json(_ref("Error"))}
    op: dict[str, Any] = {
        "operationId": route.name.removeprefix("api:"),
        "summary": route.summary,
        "tags": [route.tag],
        "responses": responses,
    }
    if route.access == "public":
        op["security"] = []
    elif route.access == "admin":
        op["description"] = "Admins only."
    params = _parameters(route)
    if params:
        op["parameters"] = params
    if route.body is not None:
        op["requestBody"] = {"required": True, "content": _json(_ref(route.body))}
    return op


def openapi_document(routes: Iterable[Route]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.openapi_path, {})[route.method.lower()] = operation(route)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "fourk management API",
            "version": _version(),
            "description": "Users, channels, models, settings and invites for the operator; "
            'a user\'s own keys. Errors are JSON {"error": {message, type, code, param}}.',
        },
        "paths": paths,
        "components": {"schemas": components(), "securitySchemes": _security_schemes()},
        "security": [{"managementToken": []}, {"browserSession": [], "csrfToken": []}],
    }


def _security_schemes() -> dict[str, Any]:
    return {
        "managementToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "A management token (an admin makes one under Operator → Settings).",
        },
        "browserSession": {"type": "apiKey", "in": "cookie", "name": COOKIE},
        "csrfToken": {
            "type": "apiKey",
            "in": "header",
            "name": CSRF_HEADER,
            "description": "The session's CSRF token; required on every call that changes "
            "something when the browser session authenticates it.",
        },
    }


def _version() -> str:
    try:
        return version("fourk")
    except PackageNotFoundError:
        return "0"


async def openapi_json(request: web.Request) -> web.Response:
    return web.Response(body=request.app[OPENAPI], content_type="application/json")
