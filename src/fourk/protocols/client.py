"""Which client sent a request, from its `originator` and `User-Agent` headers.

Codex sends `originator: codex_exec` (or codex_cli_rs, codex-tui) and a user agent like
`codex_exec/0.171.0 (Debian 12.0.0; x86_64) xterm (codex_exec; 0.171.0)`; SDKs send
`OpenAI/Python 1.99.0` or `Anthropic/Python 0.60.0`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ClientInfo:
    name: str | None
    version: str | None


def decode_client(originator: str | None, user_agent: str | None) -> ClientInfo:
    product, version = _first_product(user_agent or "")
    name = (originator or product or "").strip()[:64] or None
    return ClientInfo(name=name, version=version[:32] if version else None)


def _first_product(user_agent: str) -> tuple[str | None, str | None]:
    token = user_agent.strip().split(" ", 1)[0]
    if not token:
        return None, None
    product, _, version = token.partition("/")
    if product in ("OpenAI", "Anthropic") and " " in user_agent:
        # "OpenAI/Python 1.99.0": the language is a product token, the version follows it
        rest = user_agent.strip().split(" ", 2)
        return f"{product}/{version}", rest[1] if len(rest) > 1 else None
    return product or None, version or None
