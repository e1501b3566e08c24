"""Password hashing with argon2id."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    """argon2id with the library's recommended parameters (RFC 9106 low-memory profile)."""

    __slots__ = ("_hasher",)

    def __init__(self) -> None:
        self._hasher = PasswordHasher()

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        try:
            return bool(self._hasher.verify(stored, password))
        except (VerificationError, InvalidHashError):
            return False


def generate_password() -> str:
    """A one-time password that is easy to copy: 20 url-safe characters."""
    return secrets.token_urlsafe(15)
