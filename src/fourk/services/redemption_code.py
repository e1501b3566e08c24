"""Redemption codes themselves (pure): making them, reading back what people type, digests,
and checking what an operator asks for.

A code is 20 characters from Crockford's base32 alphabet (100 random bits), shown in groups
of four (`7KQ2-M9XD-…`). People type codes back with spaces, lower case, or the look-alikes
O, I and L: those read as 0, 1 and 1. A code is a bearer value shown once to the operator,
so the store keeps only its SHA-256 digest; the batch listing identifies codes by number.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
LENGTH = 20  # 100 bits
GROUP = 4
MAX_COUNT = 1000
MAX_DAYS = 3650
MAX_BATCH_LABEL = 64
MAX_VALUE = 1_000_000 * 1_000_000  # a million dollars, in micro-dollars
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = " -\t\r\n"


def new_code() -> str:
    """A fresh code, formatted for people."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def normalize(typed: str) -> str:
    """What a person typed, as the canonical code: no separators, capitals, look-alikes read."""
    kept = "".join(c for c in typed.upper() if c not in _SEPARATORS)
    return kept.translate(_LOOK_ALIKES)


def looks_like_code(typed: str) -> bool:
    code = normalize(typed)
    return len(code) == LENGTH and all(c in ALPHABET for c in code)


def digest(typed: str) -> str:
    """What the store keeps: SHA-256 of the canonical code."""
    return hashlib.sha256(normalize(typed).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class BatchRequest:
    """What an operator asks for: `count` codes worth `amount` micro-dollars each."""

    count: int
    amount: int
    days: int | None = None  # None: the codes do not expire
    label: str = ""


def check_batch(request: BatchRequest) -> BatchRequest:
    """The request with its label tidied; ValueError says what is wrong."""
    if not 1 <= request.count <= MAX_COUNT:
        raise ValueError(f"Make 1 to {MAX_COUNT} codes at a time.")
    if not 0 < request.amount <= MAX_VALUE:
        raise ValueError("A code's value must be more than $0 and at most $1,000,000.")
    if request.days is not None and not 1 <= request.days <= MAX_DAYS:
        raise ValueError(f"Codes last 1 to {MAX_DAYS} days (or leave it empty for no expiry).")
    label = " ".join(request.label.split())
    if len(label) > MAX_BATCH_LABEL:
        raise ValueError(f"A batch label has at most {MAX_BATCH_LABEL} characters.")
    return BatchRequest(request.count, request.amount, request.days, label)
