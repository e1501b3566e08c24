"""Small readers for values in parsed JSON, shared by the protocol translators (pure).

Wire bodies come from clients and upstreams that may send any JSON at all, so each reader
takes any value and answers with a value of one type, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson


def as_mapping(value: object) -> Mapping[str, Any]:
    """The value when it is a mapping (a JSON object); an empty one otherwise."""
    return value if isinstance(value, Mapping) else {}


def int_or(value: object, default: int = 0) -> int:
    """The value when it is an integer (a JSON number without a fraction, not a boolean);
    `default` otherwise."""
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def positive_int(value: object) -> int:
    """The value when it is an integer above 0 (a token count, say); 0 otherwise."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def json_object(text: str) -> dict[str, Any] | None:
    """`text` parsed as JSON when it is a JSON object; None for invalid JSON or any other
    JSON value."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
