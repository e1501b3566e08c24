"""Recovery codes: shape, randomness, reading them back as typed, digests."""

from __future__ import annotations

import hashlib
import re

from fourk.accounts import recovery_codes


def test_ten_distinct_codes_in_groups_of_four() -> None:
    codes = recovery_codes.new_codes()
    assert len(codes) == 10 and len(set(codes)) == 10
    for code in codes:
        assert re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", code)
        assert not set(code) & set("ilo01")
        assert recovery_codes.looks_like_code(code)


def test_typed_codes_are_read_leniently() -> None:
    code = recovery_codes.new_codes(1)[0]
    typed = " " + code.upper().replace("-", " ") + "\n"
    assert recovery_codes.looks_like_code(typed)
    assert recovery_codes.digest(typed) == recovery_codes.digest(code)


def test_digest_is_sha256_of_the_normalized_code() -> None:
    code = "abcd-efgh-jkmn-pqrs"
    assert recovery_codes.digest(code) == hashlib.sha256(b"abcdefghjkmnpqrs").hexdigest()


def test_other_text_does_not_look_like_a_code() -> None:
    for text in ("", "123456", "abcd-efgh-jkmn", "abcd-efgh-jkmn-pqr0", "x" * 40):
        assert not recovery_codes.looks_like_code(text)
