"""Time-based one-time passwords (RFC 6238 over RFC 4226): SHA-1, 6 digits, 30-second steps.

Pure: the caller passes the time. Secrets travel as base32 (what authenticator apps read
from an `otpauth://` URI or accept typed in); a code is accepted in the current step and
one step either side, to allow for clocks that drift and codes typed near a step's end.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from datetime import datetime
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps accepted either side of the current one
SECRET_BYTES = 20  # 160 bits, the size RFC 4226 recommends for SHA-1


class InvalidSecret(ValueError):
    """The text is not a base32 secret."""


def new_secret() -> str:
    """A fresh random secret in base32, without padding (32 characters)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def decode_secret(secret: str) -> bytes:
    """The key bytes of a base32 secret; spaces, dashes and letter case do not matter."""
    text = "".join(secret.split()).replace("-", "").upper()
    try:
        key = base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError) as exc:
        raise InvalidSecret("not a base32 secret") from exc
    if not key:
        raise InvalidSecret("the secret is empty")
    return key


def hotp(key: bytes, counter: int, digits: int = DIGITS) -> str:
    """RFC 4226: HMAC-SHA-1 of the counter, dynamically truncated to `digits` digits."""
    mac = hmac.new(key, counter.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def step_at(now: datetime) -> int:
    """The time step `now` falls in (Unix time / 30 s)."""
    return int(now.timestamp()) // STEP_SECONDS


def code_at(secret: str, now: datetime, digits: int = DIGITS) -> str:
    """The code an authenticator app shows at `now`."""
    return hotp(decode_secret(secret), step_at(now), digits)


def normalize_code(code: str) -> str:
    """What the person typed, without spaces (apps show `123 456`)."""
    return "".join(code.split())


def match(secret: str, code: str, now: datetime, window: int = WINDOW) -> int | None:
    """The step whose code is `code` (within `window` steps of now), or None.

    The caller remembers the step it accepted and refuses it, or any earlier one, the next
    time: a code works once (RFC 6238 §5.2)."""
    typed = normalize_code(code)
    if len(typed) != DIGITS or not (typed.isascii() and typed.isdigit()):
        return None
    key = decode_secret(secret)
    current = step_at(now)
    found = None
    for step in range(current - window, current + window + 1):
        # every candidate is compared, so the time taken does not say which one matched
        if hmac.compare_digest(hotp(key, step), typed) and found is None:
            found = step
    return found


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The `otpauth://totp/…` URI an authenticator app reads from a QR code."""
    label = quote(f"{issuer}:{account}", safe="")
    query = urlencode(
        {
            "secret": secret,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_SECONDS,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"
