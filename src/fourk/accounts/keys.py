"""API keys: minting, checking their shape, and the digest used to look them up.

A key is `sk-` + 42 random base62 characters (250 bits) + a 6-character base62 CRC-32 of
those 42. The checksum lets fourk tell a person, without any lookup, that the key they pasted
is truncated or mistyped, which is the setup page's most common authentication failure.
"""

from __future__ import annotations

import hashlib
import secrets
import zlib

PREFIX = "sk-"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_RANDOM_LEN = 42
_CHECK_LEN = 6
KEY_LENGTH = len(PREFIX) + _RANDOM_LEN + _CHECK_LEN
DISPLAY_PREFIX_LEN = len(PREFIX) + 4
FOREIGN_PREFIXES = ("sk-proj-", "sk-svcacct-", "sk-admin-", "sk-ant-")


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rem = divmod(number, 62)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), _CHECK_LEN)


def mint_key() -> str:
    body = "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_LEN))
    return PREFIX + body + _checksum(body)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    """The part of a key that may be shown: enough to tell keys apart, useless to an attacker."""
    return key[:DISPLAY_PREFIX_LEN]


def shape_problem(token: str) -> str | None:
    """Why this string cannot be a fourk key, in words a person can act on; None if it can."""
    stripped = token.strip().strip("\"'")
    if stripped != token or any(c.isspace() for c in token) or "\\n" in token:
        return (
            "The API key contains spaces, quotes or a line break. Copy it again from the "
            "dashboard and make sure auth.json holds exactly the key, with nothing around it."
        )
    if token.startswith(FOREIGN_PREFIXES):
        return (
            "This looks like a key from OpenAI or Anthropic, not from this service. Put the "
            "key from this service's dashboard in auth.json as OPENAI_API_KEY."
        )
    if not token.startswith(PREFIX):
        return (
            "This is not a fourk API key (fourk keys start with 'sk-'). Check that "
            "OPENAI_API_KEY in auth.json is the key from this service's dashboard."
        )
    if len(token) < KEY_LENGTH:
        return (
            f"The API key is {len(token)} characters long but fourk keys have {KEY_LENGTH}: "
            "it looks truncated. Copy the whole key again from the dashboard."
        )
    if len(token) > KEY_LENGTH:
        return (
            f"The API key is {len(token)} characters long but fourk keys have {KEY_LENGTH}: "
            "it has extra characters. Copy it again from the dashboard."
        )
    body = token[len(PREFIX) : len(PREFIX) + _RANDOM_LEN]
    foreign = any(c not in _ALPHABET for c in token[len(PREFIX) :])
    if foreign or _checksum(body) != token[-_CHECK_LEN:]:
        return (
            "The API key has a typo or a changed character (its checksum does not match). "
            "Copy it again from the dashboard instead of typing it."
        )
    return None
