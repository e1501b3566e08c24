"""API keys: their shape, the checksum that catches typos, and the messages people see."""

from __future__ import annotations

import string

import pytest

from fourk.accounts.keys import (
    DISPLAY_PREFIX_LEN,
    KEY_LENGTH,
    PREFIX,
    display_prefix,
    key_digest,
    mint_key,
    shape_problem,
)

ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase
KEYS = [mint_key() for _ in range(2)]

SPACES = "spaces, quotes or a line break"
NOT_OURS = "not a fourk API key"
TRUNCATED = "looks truncated"
EXTRA = "has extra characters"
TYPO = "checksum does not match"


def test_minted_keys_have_the_documented_shape() -> None:
    keys = {mint_key() for _ in range(500)}
    assert len(keys) == 500
    for key in keys:
        assert len(key) == KEY_LENGTH == 51
        assert key.startswith(PREFIX)
        assert set(key[len(PREFIX) :]) <= set(ALPHABET)
        assert shape_problem(key) is None


def test_minted_keys_use_the_whole_alphabet() -> None:
    # 42 random base62 characters: over many keys every character shows up
    seen = set("".join(mint_key()[3:45] for _ in range(200)))
    assert seen == set(ALPHABET)


@pytest.mark.parametrize("key", KEYS, ids=["key0", "key1"])
def test_every_single_character_substitution_is_detected(key: str) -> None:
    missed = []
    for position in range(len(key)):
        for char in ALPHABET + "-_ ":
            if char == key[position]:
                continue
            changed = key[:position] + char + key[position + 1 :]
            if shape_problem(changed) is None:
                missed.append((position, char))
    assert missed == []


@pytest.mark.parametrize("key", KEYS, ids=["key0", "key1"])
def test_substitutions_in_the_body_say_typo(key: str) -> None:
    for position in range(len(PREFIX), len(key)):
        char = "0" if key[position] != "0" else "1"
        problem = shape_problem(key[:position] + char + key[position + 1 :])
        assert problem is not None
        assert TYPO in problem


@pytest.mark.parametrize("key", KEYS, ids=["key0", "key1"])
def test_swapping_two_adjacent_characters_is_detected(key: str) -> None:
    for i in range(len(PREFIX), len(key) - 1):
        if key[i] != key[i + 1]:
            swapped = key[:i] + key[i + 1] + key[i] + key[i + 2 :]
            assert shape_problem(swapped) is not None, i


def variants(key: str) -> list[tuple[str, str]]:
    return [
        (key[:-1], TRUNCATED),
        (key[:20], TRUNCATED),
        (PREFIX, TRUNCATED),
        (key + "x", EXTRA),
        (key + key, EXTRA),
        (" " + key, SPACES),
        (key + "\n", SPACES),
        (key + "\r\n", SPACES),
        ("\t" + key, SPACES),
        (key[:10] + " " + key[10:], SPACES),
        (key + "\\n", SPACES),  # a literal backslash-n copied from a JSON string
        ('"' + key + '"', SPACES),
        ("'" + key + "'", SPACES),
        ('"' + key, SPACES),
        ("Bearer " + key, SPACES),
        ("pk-" + key[3:], NOT_OURS),
        ("SK-" + key[3:], NOT_OURS),
        (key[3:], NOT_OURS),
        ("ghp_" + key[3:], NOT_OURS),
        ("", NOT_OURS),
        (key[:-1] + "é", TYPO),
        (key[:10] + "-" + key[11:], TYPO),
    ]


@pytest.mark.parametrize("key", KEYS, ids=["key0", "key1"])
def test_each_mistake_gets_its_own_message(key: str) -> None:
    for token, words in variants(key):
        problem = shape_problem(token)
        assert problem is not None, token
        assert words in problem, (token, problem)


def test_length_messages_give_both_lengths() -> None:
    key = KEYS[0]
    assert f"is 50 characters long but fourk keys have {KEY_LENGTH}" in str(shape_problem(key[:-1]))
    assert f"is 52 characters long but fourk keys have {KEY_LENGTH}" in str(
        shape_problem(key + "a")
    )


@pytest.mark.parametrize("key", KEYS, ids=["key0", "key1"])
def test_messages_never_contain_the_key(key: str) -> None:
    for token, _ in variants(key):
        problem = shape_problem(token)
        assert problem is not None
        assert key[3:20] not in problem
        assert key[-12:] not in problem
        if len(token) > 8:
            assert token.strip() not in problem


def test_digest_is_sha256_hex_and_distinguishes_keys() -> None:
    a, b = KEYS
    assert key_digest(a) == key_digest(a)
    assert key_digest(a) != key_digest(b)
    assert len(key_digest(a)) == 64
    assert set(key_digest(a)) <= set(string.hexdigits.lower())
    assert key_digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_display_prefix_shows_only_a_few_characters() -> None:
    key = KEYS[0]
    shown = display_prefix(key)
    assert shown == key[:DISPLAY_PREFIX_LEN]
    assert shown.startswith(PREFIX)
    assert len(shown) - len(PREFIX) <= 4
