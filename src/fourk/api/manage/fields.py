"""Reading a JSON request body field by field, with errors that name the field."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fourk.billing.pricing import InvalidAmount, parse_dollars
from fourk.errors import InvalidRequest

_MISSING = object()


class Fields:
    """Typed access to a JSON object; absent optional fields are None."""

    __slots__ = ("_body",)

    def __init__(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise InvalidRequest("The request body must be a JSON object.")
        self._body: dict[str, Any] = body

    def only(self, allowed: Iterable[str]) -> Fields:
        unknown = sorted(set(self._body) - set(allowed))
        if unknown:
            raise InvalidRequest(f"Unknown field(s): {', '.join(unknown)}.", param=unknown[0])
        return self

    def has(self, name: str) -> bool:
        return name in self._body

    def raw(self) -> dict[str, Any]:
        return dict(self._body)

    def _get(self, name: str, required: bool) -> Any:
        value = self._body.get(name, _MISSING)
        if value is _MISSING or value is None:
            if required:
                raise InvalidRequest(f"Missing required field '{name}'.", param=name)
            return None
        return value

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self._get(name, required)
        if value is not None and not isinstance(value, str):
            raise InvalidRequest(f"'{name}' must be a string.", param=name)
        return value

    def integer(self, name: str, *, required: bool = False) -> int | None:
        value = self._get(name, required)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise InvalidRequest(f"'{name}' must be an integer.", param=name)
        return value

    def boolean(self, name: str, *, required: bool = False) -> bool | None:
        value = self._get(name, required)
        if value is not None and not isinstance(value, bool):
            raise InvalidRequest(f"'{name}' must be true or false.", param=name)
        return value

    def texts(self, name: str, *, required: bool = False) -> list[str] | None:
        value = self._get(name, required)
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(v, str) for v in value)
        ):
            raise InvalidRequest(f"'{name}' must be a list of strings.", param=name)
        return value

    def mapping(self, name: str, *, required: bool = False) -> dict[str, Any] | None:
        value = self._get(name, required)
        if value is not None and not isinstance(value, dict):
            raise InvalidRequest(f"'{name}' must be an object.", param=name)
        return value

    def money(self, name: str, *, required: bool = False) -> int | None:
        """Micro-dollars: an integer as is, or dollars as text ("2.50", exact)."""
        value = self._get(name, required)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        if not isinstance(value, str):
            raise InvalidRequest(
                f"'{name}' must be micro-dollars (an integer) or dollars as text, e.g. \"2.50\".",
                param=name,
            )
        try:
            return parse_dollars(value)
        except InvalidAmount as exc:
            raise InvalidRequest(f"'{name}': {exc}", param=name) from None
