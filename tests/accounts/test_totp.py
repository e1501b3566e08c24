"""TOTP against the RFC 6238 test vectors, the ±1 step window, and the otpauth URI."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from fourk.accounts import totp

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


def at(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


@pytest.mark.parametrize(
    ("unix", "code"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_rfc_6238_sha1_vectors(unix: int, code: str) -> None:
    assert totp.code_at(RFC_SECRET, at(unix), digits=8) == code


def test_rfc_4226_hotp_vectors() -> None:
    expected = ["755224", "287082", "359152", "969429", "338314", "254676"]
    key = b"12345678901234567890"
    assert [totp.hotp(key, counter) for counter in range(6)] == expected


def test_six_digit_codes_are_the_last_digits() -> None:
    assert totp.code_at(RFC_SECRET, at(59)) == "287082"


def test_match_accepts_one_step_either_side_and_no_further() -> None:
    now = at(1_700_000_015)
    secret = totp.new_secret()
    step = totp.step_at(now)
    for offset in (-1, 0, 1):
        code = totp.code_at(secret, now + timedelta(seconds=30 * offset))
        assert totp.match(secret, code, now) == step + offset
    for offset in (-3, -2, 2, 3):
        code = totp.code_at(secret, now + timedelta(seconds=30 * offset))
        found = totp.match(secret, code, now)
        # another step can show the same code by chance (1 in a million); never this one
        assert found != step + offset


def test_match_ignores_spaces_and_refuses_what_is_not_six_digits() -> None:
    now = at(1_700_000_000)
    secret = totp.new_secret()
    code = totp.code_at(secret, now)
    assert totp.match(secret, f" {code[:3]} {code[3:]} ", now) == totp.step_at(now)
    for bad in ("", "12345", "1234567", "abcdef", code + "0", "١٢٣٤٥٦"):
        assert totp.match(secret, bad, now) is None


def test_secrets_are_random_base32_of_160_bits() -> None:
    first, second = totp.new_secret(), totp.new_secret()
    assert first != second and len(first) == 32
    assert len(totp.decode_secret(first)) == 20
    assert totp.decode_secret(first.lower()) == totp.decode_secret(first)
    spaced = " ".join(first[i : i + 4] for i in range(0, 32, 4))
    assert totp.decode_secret(spaced) == totp.decode_secret(first)


@pytest.mark.parametrize("bad", ["", "not base32!", "1111"])
def test_bad_secrets_are_refused(bad: str) -> None:
    with pytest.raises(totp.InvalidSecret):
        totp.decode_secret(bad)


def test_provisioning_uri_names_issuer_account_and_parameters() -> None:
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXP", "alice smith", "My Relay")
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth" and parts.netloc == "totp"
    assert parts.path == "/My%20Relay%3Aalice%20smith"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "secret": "JBSWY3DPEHPK3PXP",
        "issuer": "My Relay",
        "algorithm": "SHA1",
        "digits": "6",
        "period": "30",
    }
