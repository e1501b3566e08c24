"""The management API against a real fourk process and a real simulator: who gets in,
aliases end to end, the write-only upstream secret, the Test button, live settings, users
and a user's own keys."""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from fourk.api.manage.routes import ROUTES
from fourk.app import create_app
from fourk.settings import Settings
from tests.support.browser_session import BrowserSession, log_in, token_call
from tests.support.processes import Proc, fourk_cli, sim_control, sim_requests, start_fourk

ADMIN_PASSWORD = "operator passphrase 1"
ALICE_PASSWORD = "alice passphrase 12"
SECRET = "sk-upstream-" + "Q7" * 12 + "-never-shown"
MODELS = "gpt-5-codex,sim-model"


@dataclass
class Site:
    url: str
    server: Proc
    sim: Proc
    alice_key: str
    channel_id: int = 1
    data: Path | None = None


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, sim: Proc) -> Iterator[Site]:
    """fourk with admin boss, user alice (one key), and channel sim0 (secret SECRET)."""
    data = tmp_path_factory.mktemp("manage") / "data"
    fourk_cli(data, "migrate")
    for name, extra in (("boss", ["--admin"]), ("alice", [])):
        password = ADMIN_PASSWORD if name == "boss" else ALICE_PASSWORD
        fourk_cli(data, "user", "create", name, *extra, "--password-stdin", input_text=password)
    fourk_cli(data, "user", "topup", "alice", "100", "--reason", "tests")
    key = fourk_cli(data, "key", "create", "--user", "alice").stdout.strip()
    fourk_cli(
        data, "channel", "add", "sim0", "--kind", "openai-responses",
        "--base-url", sim.url + "/v1", "--models", MODELS, "--api-key-env", "UPSTREAM_KEY",
        env={"UPSTREAM_KEY": SECRET},
    )  # fmt: skip
    server = start_fourk(data)
    yield Site(url=server.url, server=server, sim=sim, alice_key=key, data=data)
    server.stop()


@asynccontextmanager
async def browser_of(site: Site, username: str, password: str) -> AsyncIterator[BrowserSession]:
    browser = await log_in(site.url, username, password)
    try:
        yield browser
    finally:
        await browser.close()


async def admin_token(site: Site, name: str = "tests") -> str:
    async with browser_of(site, "boss", ADMIN_PASSWORD) as boss:
        status, body = await boss.api("POST", "/api/tokens", {"name": name})
    assert status == 201, body
    return str(body["secret"])


async def call(site: Site, method: str, path: str, token: str | None, payload: Any = None) -> Any:
    """A token call that must succeed; returns the JSON body."""
    status, body = await token_call(site.url, method, path, token, payload)
    assert 200 <= status < 300, (status, body)
    return body


async def respond(site: Site, key: str, model: str) -> tuple[int, Any]:
    payload = {"model": model, "input": "hello", "stream": False}
    return await token_call(site.url, "POST", "/responses", key, payload)


def error_of(body: Any) -> dict[str, Any]:
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert {"message", "type", "code"} <= set(error)
    return dict(error)


def concrete(path: str) -> str:
    """A route pattern with every parameter filled in."""
    return re.sub(r"\{(\w+)(?::[^}]*)?\}", lambda m: "sim-model" if m[1] == "name" else "1", path)


# ---- who gets in ---------------------------------------------------------------------------


async def test_a_management_token_works_for_the_api_and_not_for_model_calls(site: Site) -> None:
    token = await admin_token(site)
    users = await call(site, "GET", "/api/users", token)
    assert {u["username"] for u in users["data"]} >= {"boss", "alice"}
    status, body = await respond(site, token, "sim-model")
    assert status == 401 and "management token" in error_of(body)["message"]
    status, body = await token_call(site.url, "GET", "/api/users", site.alice_key)
    assert status == 401 and "management token" in error_of(body)["message"]
    status, body = await token_call(site.url, "GET", "/api/users", None)
    assert status == 401 and error_of(body)["code"] == "unauthenticated"
    status, body = await token_call(site.url, "GET", "/api/me", "sk-not-a-real-token")
    assert status == 401
    tokens = await call(site, "GET", "/api/tokens", token)
    (mine,) = [t for t in tokens["data"] if token.startswith(t["prefix"]) and not t["revoked_at"]]
    assert "secret" not in mine and token not in orjson.dumps(tokens).decode()
    await call(site, "POST", f"/api/tokens/{mine['id']}/revoke", token)
    status, _ = await token_call(site.url, "GET", "/api/users", token)
    assert status == 401


async def test_a_normal_user_is_refused_every_admin_route_and_page(
    site: Site, tmp_path: Path
) -> None:
    async with browser_of(site, "alice", ALICE_PASSWORD) as alice:
        for route in ROUTES:
            if route.access != "admin":
                continue
            status, body = await alice.api(route.method, concrete(route.path), {})
            assert status == 403, (route.name, status, body)
            assert error_of(body)["code"] == "permission_denied"
        app = create_app(Settings.load(env={}, data_dir=tmp_path))
        pages = [
            (r.method, r.resource.canonical)
            for r in app.router.routes()
            if (r.name or "").startswith("dash:admin") and r.resource is not None
        ]
        assert len(pages) > 15
        for method, path in pages:
            reply = await alice.send(method, concrete(path), {"name": "x"})
            assert reply.status == 403, (method, path, reply.status)
        status, me = await alice.api("GET", "/api/me")
        assert status == 200 and me["username"] == "alice" and me["role"] == "user"


async def test_a_token_stops_working_when_its_owner_is_no_longer_an_admin(site: Site) -> None:
    token = await admin_token(site)
    made = await call(
        site, "POST", "/api/users", token,
        {"username": "deputy", "role": "admin", "password": "deputy passphrase"},
    )  # fmt: skip
    async with browser_of(site, "deputy", "deputy passphrase") as deputy:
        status, body = await deputy.api("POST", "/api/tokens", {"name": "deputy"})
    assert status == 201
    deputy_token = body["secret"]
    await call(site, "GET", "/api/users", deputy_token)
    await call(site, "PATCH", f"/api/users/{made['user']['id']}", token, {"role": "user"})
    status, body = await token_call(site.url, "GET", "/api/users", deputy_token)
    assert status == 403 and "no longer an admin" in error_of(body)["message"]


# ---- aliases and hidden models -------------------------------------------------------------


async def test_an_alias_routes_to_its_target_and_the_upstream_gets_the_target_name(
    site: Site,
) -> None:
    token = await admin_token(site)
    made = await call(
        site, "POST", "/api/models", token,
        {"name": "codex-fast", "alias_of": "sim-model", "description": "the quick one"},
    )  # fmt: skip
    assert made["channels"] == ["sim0"] and made["routable"]
    try:
        listed = await call(site, "GET", "/models", site.alice_key)
        assert "codex-fast" in [m["id"] for m in listed["data"]]
        status, body = await respond(site, site.alice_key, "codex-fast")
        assert status == 200, body
        assert sim_requests(site.sim)[-1]["body"]["model"] == "sim-model"  # type: ignore[index]

        status, body = await token_call(
            site.url, "POST", "/api/models", token, {"name": "codex-fast", "alias_of": "sim-model"}
        )
        assert status == 409 and error_of(body)["code"] == "conflict"
        status, body = await token_call(
            site.url, "POST", "/api/models", token, {"name": "sim-model", "alias_of": "gpt-5-codex"}
        )
        assert status == 400 and "name of its own" in error_of(body)["message"]
    finally:
        await call(site, "DELETE", "/api/models/codex-fast", token)
    status, body = await respond(site, site.alice_key, "codex-fast")
    assert status == 404 and error_of(body)["code"] == "model_not_found"


async def test_a_model_name_may_hold_a_slash(site: Site) -> None:
    token = await admin_token(site)
    await call(site, "POST", "/api/models", token, {"name": "team/fast", "alias_of": "sim-model"})
    changed = await call(site, "PATCH", "/api/models/team/fast", token, {"position": 4})
    assert changed["name"] == "team/fast" and changed["position"] == 4
    assert (await respond(site, site.alice_key, "team/fast"))[0] == 200
    await call(site, "DELETE", "/api/models/team%2Ffast", token)
    status, body = await token_call(site.url, "DELETE", "/api/models/team/fast", token)
    assert status == 404 and error_of(body)["code"] == "not_found"


async def test_a_hidden_model_is_not_listed_but_still_routes(site: Site) -> None:
    token = await admin_token(site)
    await call(site, "PATCH", "/api/models/gpt-5-codex", token, {"visible": False})
    try:
        listed = await call(site, "GET", "/models", site.alice_key)
        assert [m["id"] for m in listed["data"]] == ["sim-model"]
        status, _ = await respond(site, site.alice_key, "gpt-5-codex")
        assert status == 200
        rows = await call(site, "GET", "/api/models", token)
        hidden = next(m for m in rows["data"] if m["name"] == "gpt-5-codex")
        assert hidden["visible"] is False and hidden["in_catalog"]
    finally:
        await call(site, "DELETE", "/api/models/gpt-5-codex", token)
    listed = await call(site, "GET", "/models", site.alice_key)
    assert [m["id"] for m in listed["data"]] == ["gpt-5-codex", "sim-model"]


# ---- channels: the secret, the Test button --------------------------------------------------


async def test_the_upstream_secret_is_write_only(site: Site) -> None:
    token = await admin_token(site)
    second, third = SECRET + "-two", SECRET + "-three"
    created = await call(
        site, "POST", "/api/channels", token,
        {"name": "sim-b", "kind": "openai-responses", "base_url": site.sim.url + "/v1",
         "models": ["only-b"], "api_key": second, "options": {"strip_codex_extras": True}},
    )  # fmt: skip
    seen: list[str] = [orjson.dumps(created).decode()]
    try:
        assert created["has_api_key"] and created["options"] == {"strip_codex_extras": True}
        assert (await respond(site, site.alice_key, "only-b"))[0] == 200
        assert sim_requests(site.sim)[-1]["headers"]["authorization"] == f"Bearer {second}"  # type: ignore[index]
        patched = await call(
            site, "PATCH", f"/api/channels/{created['id']}", token, {"api_key": third}
        )
        seen.append(orjson.dumps(patched).decode())
        assert (await respond(site, site.alice_key, "only-b"))[0] == 200
        assert sim_requests(site.sim)[-1]["headers"]["authorization"] == f"Bearer {third}"  # type: ignore[index]
        for path in ("/api/channels", f"/api/channels/{created['id']}", "/api/openapi.json"):
            seen.append(orjson.dumps(await call(site, "GET", path, token)).decode())
        async with browser_of(site, "boss", ADMIN_PASSWORD) as boss:
            for page in ("/admin/channels", f"/admin/channels/{created['id']}", "/admin/models"):
                status, html = await boss.get(page)
                assert status == 200
                seen.append(html)
        cleared = await call(
            site, "PATCH", f"/api/channels/{created['id']}", token, {"clear_api_key": True}
        )
        assert cleared["has_api_key"] is False
    finally:
        await call(site, "DELETE", f"/api/channels/{created['id']}", token)
    for text in [*seen, site.server.log()]:
        assert SECRET not in text  # covers the other two: they start with it
    status, body = await token_call(site.url, "GET", f"/api/channels/{created['id']}", token)
    assert status == 404 and error_of(body)["code"] == "not_found"


async def test_the_test_button_says_ok_or_what_failed_without_the_secret(site: Site) -> None:
    token = await admin_token(site)
    result = await call(site, "POST", "/api/channels/1/test", token, {"model": "sim-model"})
    assert result["ok"] is True and result["status"] == 200 and result["model"] == "sim-model"
    assert isinstance(result["latency_ms"], int) and result["message"]
    fault = {
        "kind": "status",
        "status": 401,
        "body": {"error": {"message": f"Incorrect API key provided: {SECRET}"}},
    }
    sim_control(site.sim, "POST", "/_sim/faults", {"faults": [fault]})
    result = await call(site, "POST", "/api/channels/1/test", token)
    assert result["ok"] is False and result["status"] == 401
    assert "Incorrect API key provided: [secret]" in result["message"]
    assert SECRET not in orjson.dumps(result).decode()
    status, body = await token_call(
        site.url, "POST", "/api/channels/1/test", token, {"model": "nope"}
    )
    assert status == 400 and "does not serve 'nope'" in error_of(body)["message"]
    async with (
        browser_of(site, "boss", ADMIN_PASSWORD) as boss,
        boss.session.post(
            site.url + "/admin/channels/1/test",
            data={"csrf_token": boss.csrf},
            headers={"HX-Request": "true", "HX-Target": "probe-1"},
        ) as response,
    ):
        fragment = await response.text()
    assert response.status == 200 and "OK" in fragment and "<html" not in fragment


async def test_channel_input_is_checked(site: Site) -> None:
    token = await admin_token(site)
    for payload, words in [
        ({"name": "x"}, "needs a name, kind, base_url and models"),
        ({"name": "x", "kind": "nope", "base_url": "https://x", "models": ["m"]}, "unknown"),
        ({"name": "x", "kind": "openai-responses", "base_url": "x", "models": ["m"]}, "http"),
        ({"name": "x", "kind": "openai-responses", "base_url": "https://x", "models": "m"},
         "'models' must be a list"),
        ({"name": "sim0", "kind": "openai-responses", "base_url": "https://x", "models": ["m"]},
         "exists already"),
    ]:  # fmt: skip
        status, body = await token_call(site.url, "POST", "/api/channels", token, payload)
        assert status in (400, 409) and words in error_of(body)["message"], (payload, body)
    status, body = await token_call(site.url, "PATCH", "/api/channels/1", token, {"colour": 1})
    assert status == 400 and error_of(body)["param"] == "colour"


async def test_protocol_options_are_set_per_kind_and_reach_the_upstream(site: Site) -> None:
    token = await admin_token(site)
    options = {"model_map": {"chat-opt": "sim-model"}, "extra_body": {"seed": 7}}
    created = await call(
        site, "POST", "/api/channels", token,
        {"name": "sim-chat", "kind": "openai-chat", "base_url": site.sim.url + "/v1",
         "models": ["chat-opt"], "api_key": "sk-chat-upstream",
         "options": options | {"developer_role": "developer"}},
    )  # fmt: skip
    path = f"/api/channels/{created['id']}"
    try:
        assert created["options"] == options | {"developer_role": "developer"}
        assert (await respond(site, site.alice_key, "chat-opt"))[0] == 200
        upstream = sim_requests(site.sim)[-1]
        assert upstream["path"] == "/v1/chat/completions"
        body = upstream["body"]
        assert isinstance(body, dict) and body["seed"] == 7 and body["model"] == "sim-model"
        for payload, words in [
            ({"options": {"reasoning_back": "yes"}}, "'reasoning_back' must be true or false"),
            ({"options": {"thinking": True}}, "'thinking' is for anthropic channels"),
            ({"options": {"colour": 1}}, "unknown option 'colour'"),
            ({"kind": "anthropic"}, "the channel's options are for openai-chat, not anthropic"),
            ({"kind": "openai-responses", "options": options}, "not openai-responses"),
        ]:
            status, body = await token_call(site.url, "PATCH", path, token, payload)
            assert status == 400 and words in error_of(body)["message"], (payload, body)
            if "options" in payload:
                assert error_of(body)["param"] == "options"
        claude = {"thinking": False, "anthropic_version": "2023-06-01", "auth": "bearer"}
        patched = await call(
            site, "PATCH", path, token,
            {"kind": "anthropic", "base_url": site.sim.url, "options": claude},
        )  # fmt: skip
        assert patched["kind"] == "anthropic" and patched["options"] == claude
        status, _ = await respond(site, site.alice_key, "chat-opt")
        upstream = sim_requests(site.sim)[-1]
        assert status == 200 and upstream["path"] == "/v1/messages"
        headers = upstream["headers"]
        assert isinstance(headers, dict) and "x-api-key" not in headers  # auth: bearer
        assert headers["authorization"] == "Bearer sk-chat-upstream"
    finally:
        await call(site, "DELETE", path, token)
    status, body = await token_call(
        site.url, "POST", "/api/channels", token,
        {"name": "x", "kind": "openai-responses", "base_url": "https://x", "models": ["m"],
         "options": {"max_tokens": 100}},
    )  # fmt: skip
    assert status == 400 and "'max_tokens' is for anthropic channels" in error_of(body)["message"]


# ---- settings are live ---------------------------------------------------------------------


async def test_settings_reach_the_use_key_dialog_without_a_restart(site: Site) -> None:
    token = await admin_token(site)
    async with browser_of(site, "alice", ALICE_PASSWORD) as alice:
        _, keys = await alice.api("GET", "/api/me/keys")
        key_id = keys["data"][0]["id"]
        _, dialog = await alice.get(f"/keys/{key_id}/use")
        assert f'base_url = "{site.url}"' in html.unescape(dialog)
        try:
            changed = await call(
                site, "PATCH", "/api/settings", token,
                {"public_base_url": "https://relay.example.com/", "default_model": "sim-model"},
            )  # fmt: skip
            assert changed["effective_base_url"] == "https://relay.example.com"
            _, dialog = await alice.get(f"/keys/{key_id}/use")
            text = html.unescape(dialog)
            assert 'base_url = "https://relay.example.com"' in text
            assert '\nmodel = "sim-model"' in text
        finally:
            await call(
                site, "PATCH", "/api/settings", token,
                {"public_base_url": "", "default_model": ""},
            )  # fmt: skip
    for payload, words in [
        ({"public_base_url": "https://relay.example.com/v1"}, "Leave /v1 off"),
        ({"default_model": "nope"}, "No channel serves 'nope'"),
        ({"signup_mode": "sometimes"}, "Sign-up mode"),
        ({"effective_base_url": "x"}, "unknown setting"),
    ]:
        status, body = await token_call(site.url, "PATCH", "/api/settings", token, payload)
        assert status == 400 and words in error_of(body)["message"], body
    settings = await call(site, "GET", "/api/settings", token)
    assert settings["public_base_url"] == "" and settings["effective_base_url"] == site.url


async def test_invites_are_made_and_counted(site: Site) -> None:
    token = await admin_token(site)
    invite = await call(site, "POST", "/api/invites", token, {"max_uses": 2, "expires_in_days": 7})
    assert invite["uses"] == 0 and invite["max_uses"] == 2 and invite["expires_at"]
    listed = await call(site, "GET", "/api/invites", token)
    assert invite["code"] in [i["code"] for i in listed["data"]]
    status, body = await token_call(site.url, "POST", "/api/invites", token, {"max_uses": 0})
    assert status == 400 and "1 to 10000 times" in error_of(body)["message"]


# ---- users ---------------------------------------------------------------------------------


async def test_disabling_a_user_ends_their_sessions_and_keys(site: Site) -> None:
    token = await admin_token(site)
    made = await call(
        site, "POST", "/api/users", token, {"username": "carol", "password": "carol passphrase"}
    )
    carol_id = made["user"]["id"]
    async with browser_of(site, "carol", "carol passphrase") as carol:
        status, new = await carol.api("POST", "/api/me/keys", {"name": "laptop"})
        assert status == 201
        assert site.data is not None
        fourk_cli(site.data, "user", "topup", "carol", "5", "--reason", "tests")
        assert (await respond(site, new["secret"], "sim-model"))[0] == 200
        async with browser_of(site, "boss", ADMIN_PASSWORD) as boss:
            reply = await boss.send(
                "POST", f"/admin/users/{carol_id}/status", {"status": "disabled"}
            )
            assert reply.status == 303
        assert (await carol.send("GET", "/keys")).status == 303  # logged out
        status, body = await respond(site, new["secret"], "sim-model")
        assert status == 401 and "disabled" in error_of(body)["message"]
    await call(site, "PATCH", f"/api/users/{carol_id}", token, {"status": "active"})
    assert (await respond(site, new["secret"], "sim-model"))[0] == 200
    found = await call(site, "GET", "/api/users?q=car", token)
    assert [u["username"] for u in found["data"]] == ["carol"]


async def test_reset_password_and_display_name(site: Site) -> None:
    token = await admin_token(site)
    made = await call(
        site, "POST", "/api/users", token, {"username": "dave", "password": "dave passphrase"}
    )
    dave = made["user"]["id"]
    reset = await call(site, "POST", f"/api/users/{dave}/reset-password", token)
    assert len(reset["password"]) >= 16
    async with browser_of(site, "dave", reset["password"]):
        pass
    with pytest.raises(AssertionError, match="refused"):
        await log_in(site.url, "dave", "dave passphrase")
    named = await call(site, "PATCH", f"/api/users/{dave}", token, {"display_name": " Dave  D "})
    assert named["display_name"] == "Dave D"
    cleared = await call(site, "PATCH", f"/api/users/{dave}", token, {"display_name": None})
    assert cleared["display_name"] is None


async def test_the_last_active_admin_cannot_step_down(site: Site) -> None:
    token = await admin_token(site)
    users = await call(site, "GET", "/api/users", token)
    boss = next(u for u in users["data"] if u["username"] == "boss")
    for change in ({"role": "user"}, {"status": "disabled"}):
        status, body = await token_call(
            site.url, "PATCH", f"/api/users/{boss['id']}", token, change
        )
        assert status == 409 and "last active admin" in error_of(body)["message"]
    for path in ("/api/users/99999", "/api/users/abc"):
        status, body = await token_call(site.url, "GET", path, token)
        assert status == 404 and error_of(body)["code"] == "not_found"
    status, body = await token_call(
        site.url, "PATCH", f"/api/users/{boss['id']}", token, {"role": "root"}
    )
    assert status == 400


# ---- a user's own keys ---------------------------------------------------------------------


async def test_my_keys_create_list_revoke_and_other_peoples_ids_are_404(site: Site) -> None:
    token = await admin_token(site)
    tokens = await call(site, "GET", "/api/tokens", token)
    foreign = tokens["data"][0]["id"]  # boss's management token
    async with browser_of(site, "alice", ALICE_PASSWORD) as alice:
        status, body = await alice.api("POST", "/api/me/keys", {"name": "ci"}, csrf=False)
        assert status == 403 and error_of(body)["code"] == "csrf_failed"
        status, new = await alice.api(
            "POST", "/api/me/keys", {"name": "ci", "models": ["sim-model"]}
        )
        assert status == 201 and new["secret"].startswith("sk-")
        assert new["key"]["models"] == ["sim-model"] and new["key"]["scope"] == "inference"
        assert (await respond(site, new["secret"], "sim-model"))[0] == 200
        _, listed = await alice.api("GET", "/api/me/keys")
        assert new["key"]["id"] in [k["id"] for k in listed["data"]]
        assert new["secret"] not in orjson.dumps(listed).decode()
        status, body = await alice.api("POST", f"/api/me/keys/{foreign}/revoke")
        assert status == 404 and error_of(body)["code"] == "not_found"
        status, body = await alice.api("POST", "/api/me/keys", {"models": ["nope"]})
        assert status == 400 and "No such model" in error_of(body)["message"]
        status, revoked = await alice.api("POST", f"/api/me/keys/{new['key']['id']}/revoke")
        assert status == 200 and revoked["revoked_at"]
    deadline = time.monotonic() + 1.0
    while (await respond(site, new["secret"], "sim-model"))[0] != 401:
        assert time.monotonic() < deadline, "a revoked key still works after a second"
        await asyncio.sleep(0.05)
    await call(site, "GET", "/api/tokens", token)  # boss's token was not touched


async def test_the_openapi_document_is_public_and_complete(site: Site) -> None:
    async with aiohttp.ClientSession() as plain, plain.get(site.url + "/api/openapi.json") as r:
        assert r.status == 200 and r.content_type == "application/json"
        document = await r.json()
    assert len([op for ops in document["paths"].values() for op in ops]) == len(ROUTES)
    assert "/api/users/{user_id}" in document["paths"]
