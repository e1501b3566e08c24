"""Sealing and opening emulated compactions (see protocols/responses/compaction.py).

A summary is sealed with the server key, bound to the user it was made for: another user,
another server, or a changed byte cannot open it, and gets a 400 that says what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fourk.errors import InvalidRequest
from fourk.protocols.responses.compaction import SEAL_PREFIX, expand_compactions
from fourk.sealer import Sealer, SealError


class Compactor:
    __slots__ = ("_sealer",)

    def __init__(self, sealer: Sealer) -> None:
        self._sealer = sealer

    def seal(self, summary: str, user_id: int) -> str:
        return SEAL_PREFIX + self._sealer.seal(summary, _purpose(user_id))

    def open(self, blob: str, user_id: int) -> str:
        if not blob.startswith(SEAL_PREFIX):
            raise InvalidRequest(
                "This conversation carries a compacted history from another service (an "
                "OpenAI compaction), which this model's upstream cannot read. Start a new "
                "session in Codex (/new), or use a model served by an OpenAI channel.",
                code="invalid_compaction",
                param="input",
            )
        try:
            return self._sealer.open(blob[len(SEAL_PREFIX) :], _purpose(user_id))
        except SealError as exc:
            raise InvalidRequest(
                "This conversation's compacted history cannot be opened: it was changed, or "
                "made by another account or another server. Start a new session in Codex "
                "(/new).",
                code="invalid_compaction",
                param="input",
            ) from exc

    def expand(
        self, body: Mapping[str, Any], user_id: int, *, only_ours: bool = False
    ) -> dict[str, Any]:
        return expand_compactions(body, lambda blob: self.open(blob, user_id), only_ours=only_ours)


def _purpose(user_id: int) -> str:
    return f"compaction:user:{user_id}"
