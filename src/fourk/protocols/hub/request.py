"""Reading a hub (Responses) request body for an upstream of another protocol (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fourk.errors import InvalidRequest


def input_items(body: Mapping[str, Any]) -> list[Any]:
    """The request's `input` as a list of items: a string is one user message. The items
    themselves are not checked here."""
    items = body.get("input")
    if isinstance(items, str):
        items = [{"type": "message", "role": "user", "content": items}]
    if not isinstance(items, list):
        raise InvalidRequest("'input' must be a string or a list of items.", param="input")
    return items
