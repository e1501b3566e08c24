"""Telling clients apart from their `originator` and `User-Agent` headers."""

from __future__ import annotations

import pytest

from fourk.protocols.client import ClientInfo, decode_client

CODEX_UA = "codex_exec/0.171.0 (Debian 12.0.0; x86_64) xterm (codex_exec; 0.171.0)"


@pytest.mark.parametrize(
    ("originator", "user_agent", "expected"),
    [
        ("codex_exec", CODEX_UA, ClientInfo("codex_exec", "0.171.0")),
        (None, CODEX_UA, ClientInfo("codex_exec", "0.171.0")),
        (
            "codex_cli_rs",
            "codex_cli_rs/0.171.0 (Mac OS 15.1.0; arm64)",
            ClientInfo("codex_cli_rs", "0.171.0"),
        ),
        (None, "OpenAI/Python 1.99.0", ClientInfo("OpenAI/Python", "1.99.0")),
        (None, "Anthropic/Python 0.60.0", ClientInfo("Anthropic/Python", "0.60.0")),
        (None, "OpenAI/JS 5.12.0", ClientInfo("OpenAI/JS", "5.12.0")),
        (None, "curl/8.5.0", ClientInfo("curl", "8.5.0")),
        (None, "python-requests/2.32.3", ClientInfo("python-requests", "2.32.3")),
        (None, "Mozilla/5.0 (X11; Linux x86_64)", ClientInfo("Mozilla", "5.0")),
        (None, "  curl/8.5.0  ", ClientInfo("curl", "8.5.0")),
        (None, "aiohttp", ClientInfo("aiohttp", None)),
        (None, None, ClientInfo(None, None)),
        (None, "", ClientInfo(None, None)),
        ("", "", ClientInfo(None, None)),
        ("   ", None, ClientInfo(None, None)),
        ("codex_exec", None, ClientInfo("codex_exec", None)),
        ("codex_exec", "", ClientInfo("codex_exec", None)),
    ],
)
def test_decode_client(
    originator: str | None, user_agent: str | None, expected: ClientInfo
) -> None:
    assert decode_client(originator, user_agent) == expected


def test_originator_wins_over_the_user_agent_product() -> None:
    info = decode_client("codex-tui", "curl/8.5.0")
    assert info == ClientInfo("codex-tui", "8.5.0")


def test_long_values_are_capped() -> None:
    info = decode_client("o" * 500, "x/" + "9" * 500)
    assert info.name == "o" * 64
    assert info.version == "9" * 32
    assert len(decode_client(None, "p" * 500 + "/1").name or "") == 64
