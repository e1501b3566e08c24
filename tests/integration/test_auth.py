"""API keys at the door: every refusal is a 401 that says what to do, and never the key."""

from __future__ import annotations

import asyncio
import time

import orjson
import pytest

from tests.integration.test_relay import body, post
from tests.support.processes import Gateway

pytestmark = pytest.mark.asyncio


async def refusal(gateway: Gateway, key: str | None, **kwargs: object) -> str:
    status, _, raw = await post(gateway, body("auth"), key=key, **kwargs)  # type: ignore[arg-type]
    assert status == 401
    error = orjson.loads(raw)["error"]
    assert error["code"] == "invalid_api_key"
    return str(error["message"])


async def test_missing_key_points_at_auth_json(gateway: Gateway) -> None:
    status, _, raw = await post(gateway, body(), key="", headers={"Authorization": ""})
    assert status == 401
    assert "auth.json" in orjson.loads(raw)["error"]["message"]


async def test_truncated_key_is_named_as_truncated(gateway: Gateway) -> None:
    message = await refusal(gateway, gateway.key[:-5])
    assert "truncated" in message and gateway.key[:-5] not in message


async def test_key_with_extra_characters(gateway: Gateway) -> None:
    message = await refusal(gateway, gateway.key + "x")
    assert "extra characters" in message


async def test_key_with_a_typo_fails_its_checksum(gateway: Gateway) -> None:
    swapped = gateway.key[:10] + ("A" if gateway.key[10] != "A" else "B") + gateway.key[11:]
    message = await refusal(gateway, swapped)
    assert "typo" in message and swapped not in message


async def test_key_with_a_literal_newline_or_quotes(gateway: Gateway) -> None:
    assert "line break" in await refusal(gateway, gateway.key + "\\n")
    assert "quotes" in await refusal(gateway, f'"{gateway.key}"')


async def test_foreign_key(gateway: Gateway) -> None:
    assert "not a fourk API key" in await refusal(gateway, "AIzaSyFakeGoogleKey")


async def test_unknown_well_formed_key(gateway: Gateway) -> None:
    from fourk.accounts.keys import mint_key

    other = mint_key()
    message = await refusal(gateway, other)
    assert "not known" in message and other not in message and other[:7] in message


async def test_new_key_works_at_once_and_revoked_key_stops_within_a_second(
    gateway: Gateway,
) -> None:
    key = gateway.cli("key", "create", "--user", "alice", "--name", "fresh").stdout.strip()
    status, _, _ = await post(gateway, body("fresh"), key=key)
    assert status == 200
    ident = key[:7]
    gateway.cli("key", "revoke", ident)
    revoked_at = time.monotonic()
    while True:
        status, _, raw = await post(gateway, body("after revoke"), key=key)
        if status == 401:
            break
        assert time.monotonic() - revoked_at < 1.0, "revoked key still works after 1 s"
        await asyncio.sleep(0.05)
    assert time.monotonic() - revoked_at < 1.0
    assert "revoked" in orjson.loads(raw)["error"]["message"]


async def test_expired_key(gateway: Gateway) -> None:
    key = gateway.cli("key", "create", "--user", "alice", "--expires", "2020-01-01").stdout.strip()
    assert "expired" in await refusal(gateway, key)


async def test_key_limited_to_some_models(gateway: Gateway) -> None:
    key = gateway.cli("key", "create", "--user", "alice", "--models", "sim-model").stdout.strip()
    status, _, raw = await post(gateway, body(model="gpt-5-codex"), key=key)
    assert status == 404
    assert "may not use model 'gpt-5-codex'" in orjson.loads(raw)["error"]["message"]
    status, _, _ = await post(gateway, body(model="sim-model"), key=key)
    assert status == 200


async def test_no_key_appears_in_the_server_log(gateway: Gateway) -> None:
    await post(gateway, body("log check"))
    assert gateway.key not in gateway.server.log()
