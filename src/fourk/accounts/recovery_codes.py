"""Recovery codes for two-factor accounts (pure): making them, reading them back, digests.

A code is 16 characters from an alphabet without look-alikes (80 random bits), shown in
groups of four. Only its SHA-256 digest is stored; each one works once.
"""

from __future__ import annotations

import hashlib
import secrets

COUNT = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no i, l, o, 0, 1
_LENGTH = 16
_GROUP = 4


def new_codes(count: int = COUNT) -> list[str]:
    """`count` fresh codes, formatted for people (`abcd-efgh-jkmn-pqrs`)."""
    return [
        _format("".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))) for _ in range(count)
    ]


def _format(raw: str) -> str:
    return "-".join(raw[i : i + _GROUP] for i in range(0, len(raw), _GROUP))


def normalize(code: str) -> str:
    """A typed code without spaces, dashes or capitals."""
    return "".join(c for c in code.lower() if c not in " -\t\r\n")


def looks_like_code(code: str) -> bool:
    typed = normalize(code)
    return len(typed) == _LENGTH and all(c in _ALPHABET for c in typed)


def digest(code: str) -> str:
    """What the store keeps: SHA-256 of the normalized code."""
    return hashlib.sha256(normalize(code).encode()).hexdigest()
