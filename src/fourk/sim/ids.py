"""Fresh identifiers for simulated responses, items and tool calls.

Pure layers take an `IdFactory` so tests can pass a counter and get stable ids; the
default draws random hex, shaped like OpenAI's ids (`resp_…`, `msg_…`, `call_…`).
"""

from __future__ import annotations

import os
from collections.abc import Callable

IdFactory = Callable[[str], str]
"""Given a prefix such as "resp", return a fresh id such as "resp_3f2a…"."""


def random_id(prefix: str) -> str:
    """A prefix, an underscore and 32 random hex digits (128 bits)."""
    return f"{prefix}_{os.urandom(16).hex()}"


class CountingIds:
    """Deterministic ids for tests: `prefix_0001`, `prefix_0002`, … (one counter per instance)."""

    __slots__ = ("_next",)

    def __init__(self) -> None:
        self._next = 0

    def __call__(self, prefix: str) -> str:
        self._next += 1
        return f"{prefix}_{self._next:04d}"
