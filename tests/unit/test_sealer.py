"""Sealing secrets at rest, and loading the server key."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fourk.sealer import KEY_FILE, Sealer, SealError, load_server_key

KEY = bytes(range(32))
URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def blob_of(sealed: str) -> bytes:
    body = sealed.removeprefix("v1.")
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def sealed_from(blob: bytes) -> str:
    return "v1." + base64.urlsafe_b64encode(blob).decode().rstrip("=")


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=200), st.text(max_size=20))
def test_round_trip(plaintext: str, purpose: str) -> None:
    sealer = Sealer(KEY)
    sealed = sealer.seal(plaintext, purpose)
    assert sealed.startswith("v1.")
    assert set(sealed[3:]) <= set(URLSAFE)
    assert sealer.open(sealed, purpose) == plaintext


def test_sealing_twice_differs_and_hides_the_plaintext() -> None:
    sealer = Sealer(KEY)
    secret = "sk-" + "a" * 48
    first, second = sealer.seal(secret, "api_key"), sealer.seal(secret, "api_key")
    assert first != second  # a fresh nonce each time
    assert secret not in first
    assert "a" * 8 not in first


def test_flipping_any_bit_of_the_blob_fails() -> None:
    sealer = Sealer(KEY)
    blob = blob_of(sealer.seal("upstream-secret", "channel"))
    for index in range(len(blob)):
        for bit in (0x01, 0x80):
            tampered = bytearray(blob)
            tampered[index] ^= bit
            with pytest.raises(SealError):
                sealer.open(sealed_from(bytes(tampered)), "channel")


def test_changing_any_character_fails() -> None:
    sealer = Sealer(KEY)
    # 12 + 2 + 16 = 30 bytes: a multiple of 3, so no base64 character has unused bits
    sealed = sealer.seal("ab", "p")
    assert len(blob_of(sealed)) % 3 == 0
    for index in range(3, len(sealed)):
        replacement = "A" if sealed[index] != "A" else "B"
        tampered = sealed[:index] + replacement + sealed[index + 1 :]
        with pytest.raises(SealError):
            sealer.open(tampered, "p")


def test_truncated_or_extended_values_fail() -> None:
    sealer = Sealer(KEY)
    sealed = sealer.seal("secret value", "p")
    for cut in range(3, len(sealed)):
        with pytest.raises(SealError):
            sealer.open(sealed[:cut], "p")
    with pytest.raises(SealError):
        sealer.open(sealed_from(blob_of(sealed) + b"\x00"), "p")


@pytest.mark.parametrize("value", ["", "v1.", "v2.AAAA", "plain text", "v1.%%%%", "V1.AAAA"])
def test_garbage_fails_with_seal_error(value: str) -> None:
    with pytest.raises(SealError):
        Sealer(KEY).open(value, "p")


def test_wrong_purpose_fails() -> None:
    sealer = Sealer(KEY)
    sealed = sealer.seal("secret", "api_key")
    for purpose in ("channel", "", "api_key ", "API_KEY"):
        with pytest.raises(SealError):
            sealer.open(sealed, purpose)


def test_wrong_key_fails() -> None:
    sealed = Sealer(KEY).seal("secret", "p")
    other = bytearray(KEY)
    other[31] ^= 1
    with pytest.raises(SealError):
        Sealer(bytes(other)).open(sealed, "p")


def test_seal_error_is_a_value_error() -> None:
    assert issubclass(SealError, ValueError)


@pytest.mark.parametrize("size", [0, 16, 31, 33, 64])
def test_key_must_be_32_bytes(size: int) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Sealer(b"k" * size)


def test_server_key_file_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    key = load_server_key(tmp_path, "")
    path = tmp_path / KEY_FILE
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert load_server_key(tmp_path, "") == key
    assert path.read_text() == text  # not rewritten
    assert base64.urlsafe_b64decode(text.strip()) == key
    # and it really works as a sealing key across loads
    sealed = Sealer(key).seal("x", "p")
    assert Sealer(load_server_key(tmp_path, "")).open(sealed, "p") == "x"


def test_server_key_files_differ_between_data_dirs(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert load_server_key(tmp_path / "a", "") != load_server_key(tmp_path / "b", "")


def test_server_key_file_with_wrong_length_is_refused(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_text(base64.urlsafe_b64encode(b"short").decode())
    with pytest.raises(ValueError, match="32-byte"):
        load_server_key(tmp_path, "")


def test_configured_key_wins_and_writes_no_file(tmp_path: Path) -> None:
    configured = base64.urlsafe_b64encode(KEY).decode()
    assert load_server_key(tmp_path, configured) == KEY
    assert not (tmp_path / KEY_FILE).exists()


@pytest.mark.parametrize(
    "value",
    [
        base64.urlsafe_b64encode(KEY).decode(),
        base64.urlsafe_b64encode(KEY).decode().rstrip("="),
        base64.b64encode(KEY).decode(),  # `openssl rand -base64 32`
        base64.b64encode(bytes([251] * 32)).decode(),  # has '+' and '/'
        base64.urlsafe_b64encode(bytes([251] * 32)).decode(),  # has '-' and '_'
    ],
)
def test_configured_key_accepts_base64_forms(tmp_path: Path, value: str) -> None:
    key = load_server_key(tmp_path, value)
    assert len(key) == 32
    assert key in (KEY, bytes([251] * 32))


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (base64.b64encode(b"k" * 16).decode(), "32 bytes"),
        (base64.b64encode(b"k" * 33).decode(), "32 bytes"),
        ("not base64 at all!", "FOURK_SECRET_KEY"),
        ("A", "FOURK_SECRET_KEY"),
        ("a" * 44 + "=", "FOURK_SECRET_KEY"),
    ],
)
def test_configured_key_rejects_bad_values(tmp_path: Path, value: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        load_server_key(tmp_path, value)
    assert not (tmp_path / KEY_FILE).exists()


def test_key_file_is_not_group_or_world_readable_even_with_loose_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        load_server_key(tmp_path, "")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
