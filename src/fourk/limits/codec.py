"""Limits as stored (a JSON object in the key's or user's row) and as typed (pure)."""

from __future__ import annotations

from dataclasses import asdict, fields

import orjson

from fourk.limits.rules import Limits

NAMES = tuple(f.name for f in fields(Limits))


def decode_limits(text: str | None) -> Limits | None:
    """None for no limits at all (the hot path then skips the limit store)."""
    if not text:
        return None
    raw = orjson.loads(text)
    if not isinstance(raw, dict):
        return None
    values = {k: v for k, v in raw.items() if k in NAMES and isinstance(v, int) and v is not None}
    return Limits(**values) if values else None


def encode_limits(limits: Limits | None) -> str | None:
    if limits is None:
        return None
    values = {k: v for k, v in asdict(limits).items() if v is not None}
    return orjson.dumps(values).decode() if values else None
