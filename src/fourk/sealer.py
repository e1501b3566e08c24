"""Encryption at rest: AES-256-GCM under the server key.

API keys (so their owner can see them again in the dashboard) and upstream credentials are
sealed with it. A sealed value is `v1.` + urlsafe base64 of nonce || ciphertext || tag; the
`purpose` is bound as associated data, so a value sealed for one use cannot be opened as
another.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_PREFIX = "v1."
KEY_FILE = "secret.key"


class SealError(ValueError):
    """A sealed value was tampered with, truncated, or sealed under another key or purpose."""


class Sealer:
    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the server key must be 32 bytes")
        self._aead = AESGCM(key)

    def seal(self, plaintext: str, purpose: str) -> str:
        nonce = os.urandom(12)
        blob = nonce + self._aead.encrypt(nonce, plaintext.encode(), purpose.encode())
        return _PREFIX + base64.urlsafe_b64encode(blob).decode().rstrip("=")

    def open(self, sealed: str, purpose: str) -> str:
        if not sealed.startswith(_PREFIX):
            raise SealError("not a sealed value")
        body = sealed[len(_PREFIX) :]
        try:
            blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except ValueError as exc:
            raise SealError("sealed value is not valid base64") from exc
        if len(blob) < 12 + 16:
            raise SealError("sealed value is too short")
        try:
            plain = self._aead.decrypt(blob[:12], blob[12:], purpose.encode())
        except InvalidTag as exc:
            raise SealError("sealed value does not verify") from exc
        return plain.decode()


def load_server_key(data_dir: Path, configured: str) -> bytes:
    """The configured key (base64), else the data dir's key file, created 0600 if missing."""
    if configured:
        try:
            key = base64.urlsafe_b64decode(configured + "=" * (-len(configured) % 4))
        except ValueError as exc:
            raise ValueError("FOURK_SECRET_KEY is not valid base64") from exc
        if len(key) != 32:
            raise ValueError("FOURK_SECRET_KEY must decode to 32 bytes")
        return key
    path = data_dir / KEY_FILE
    if path.exists():
        key = base64.urlsafe_b64decode(path.read_text().strip() + "==")
        if len(key) != 32:
            raise ValueError(f"{path} does not hold a 32-byte key")
        return key
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.urlsafe_b64encode(key).decode() + "\n")
    return key
