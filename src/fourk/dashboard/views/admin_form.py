"""Reading the operator's forms, and turning a failed action into a message for the page."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from aiohttp import web
from multidict import MultiDictProxy

from fourk.api.manage.errors import translate
from fourk.errors import FourkError

T = TypeVar("T")
Form = MultiDictProxy[Any]


class FormValues:
    """Typed values of a posted form; blank means absent."""

    __slots__ = ("_form",)

    def __init__(self, form: Form) -> None:
        self._form = form

    def text(self, name: str) -> str:
        value = self._form.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    def optional(self, name: str) -> str | None:
        return self.text(name) or None

    def integer(self, name: str, default: int | None = None) -> int | None:
        raw = self.text(name)
        if not raw:
            return default
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"'{raw}' is not a whole number.") from None

    def flag(self, name: str) -> bool:
        return self.text(name) in ("1", "on", "true", "yes")

    def items(self, name: str) -> list[str]:
        """A list from one field (commas or line breaks) or from repeated fields."""
        parts: list[str] = []
        for value in self._form.getall(name, []):
            if isinstance(value, str):
                parts += value.replace(",", "\n").splitlines()
        return [p.strip() for p in parts if p.strip()]

    def pairs(self, name: str) -> dict[str, str]:
        """`a=b` per line (a model map)."""
        out: dict[str, str] = {}
        for line in self.text(name).splitlines():
            if not line.strip():
                continue
            left, sep, right = line.partition("=")
            if not sep or not left.strip() or not right.strip():
                raise ValueError(f"'{line.strip()}' is not of the form client-name=upstream-name.")
            out[left.strip()] = right.strip()
        return out


async def read_form(request: web.Request) -> FormValues:
    return FormValues(await request.post())


async def attempt(action: Awaitable[T]) -> tuple[T | None, FourkError | None]:
    """Run an action; a failure the person can fix comes back as an error, a bug is raised."""
    try:
        return await action, None
    except Exception as exc:
        error = translate(exc)
        if error is None:
            raise
        return None, error


def page_status(request: web.Request, error: FourkError | None) -> int:
    """The status of a page that shows `error`: its own, except to htmx, which swaps in
    only successful answers (the message is in the fragment either way)."""
    if error is None or request.headers.get("HX-Request") == "true":
        return 200
    return error.status
