"""Sign-up modes, API keys in the dashboard, and what the Use key dialog hands out."""

from __future__ import annotations

import html
import os
import re
import subprocess
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import orjson
from aiohttp import web

from fourk.api.context import SERVICES
from fourk.services.site import SiteConfig
from tests.support.dashboard_app import Browser, dashboard, prefix_proxy

_PRE = re.compile(r'<pre id="(config|auth|command)-(\w+)"[^>]*><code>(.*?)</code></pre>', re.S)


def blocks(page: str) -> dict[tuple[str, str], str]:
    """The copyable blocks of the Use key dialog, as the copy button reads them."""
    return {(kind, system): html.unescape(text) for kind, system, text in _PRE.findall(page)}


async def user_keys(app: web.Application, username: str) -> list[int]:
    store = app[SERVICES].store
    user = await store.users.by_name(username)
    assert user is not None
    return [k.id for k in await store.keys.all(user.id)]


async def test_sign_up_create_a_key_and_use_it(tmp_path: Path) -> None:
    async with dashboard(tmp_path) as (app, root, _):
        browser = Browser(root)
        await browser.sign_up("alice")
        response = await browser.post(
            "/keys", {"name": "laptop", "models": ["sim-model"], "expires": "30"}
        )
        assert response.status == 303
        (key_id,) = await user_keys(app, "alice")
        status, page = await browser.get("/keys")
        assert status == 200 and "laptop" in page and "not used yet" in page
        status, dialog = await browser.get(f"/keys/{key_id}/use")
        assert status == 200
        found = blocks(dialog)
        config = tomllib.loads(found[("config", "unix")])
        assert config["model_provider"] == "OpenAI"
        assert config["model"] == config["review_model"] == "sim-model"  # the key's only model
        provider = config["model_providers"]["OpenAI"]
        assert provider["base_url"] == root and provider["wire_api"] == "responses"
        assert provider["requires_openai_auth"] is True
        secret = orjson.loads(found[("auth", "unix")])["OPENAI_API_KEY"]
        assert secret.startswith("sk-") and secret not in page  # only the dialog shows it
        # the one-line command for the system writes exactly these two files
        home = tmp_path / "home"
        home.mkdir()
        subprocess.run(  # noqa: ASYNC221 - a short shell run; the server is in this loop
            ["sh", "-c", found[("command", "unix")]],
            env={"HOME": str(home), "PATH": os.environ["PATH"]},
            check=True,
            capture_output=True,
        )
        assert (home / ".codex/config.toml").read_text() == found[("config", "unix")]
        assert (home / ".codex/auth.json").read_text() == found[("auth", "unix")]
        assert found[("command", "wsl")] == found[("command", "unix")]
        assert "powershell" in found[("command", "windows")]
        for system in ("wsl", "windows"):  # the same files for every system
            assert found[("config", system)] == found[("config", "unix")]
            assert found[("auth", system)] == found[("auth", "unix")]
        # the key in the dialog is real: it lists models over the API
        async with (
            aiohttp.ClientSession() as plain,
            plain.get(root + "/v1/models", headers={"Authorization": f"Bearer {secret}"}) as r,
        ):
            assert r.status == 200
            assert [m["id"] for m in (await r.json())["data"]] == ["sim-model"]
        await browser.close()


async def test_dialog_shows_the_paths_of_each_system_and_the_chosen_models(tmp_path: Path) -> None:
    async with dashboard(tmp_path) as (app, root, _):
        browser = Browser(root)
        await browser.sign_up("bob")
        await browser.post("/keys", {"name": "any"})
        (key_id,) = await user_keys(app, "bob")
        _, dialog = await browser.get(
            f"/keys/{key_id}/use?model=sim-model&review_model=gpt-5-codex&system=windows"
        )
        text = html.unescape(dialog)
        assert "~/.codex/config.toml" in text and "~/.codex/auth.json" in text
        assert r"%USERPROFILE%\.codex\config.toml" in text
        assert "not in %USERPROFILE%" in text  # the WSL note: the Linux home
        config = tomllib.loads(blocks(dialog)[("config", "windows")])
        assert (config["model"], config["review_model"]) == ("sim-model", "gpt-5-codex")
        assert 'id="tab-windows"' in dialog and re.search(
            r'id="tab-windows"[^>]*aria-selected="true"', dialog
        )
        await browser.close()


async def test_revoked_key_stops_and_its_dialog_is_gone(tmp_path: Path) -> None:
    async with dashboard(tmp_path) as (app, root, _):
        browser = Browser(root)
        await browser.sign_up("carol")
        await browser.post("/keys", {"name": "old"})
        (key_id,) = await user_keys(app, "carol")
        _, dialog = await browser.get(f"/keys/{key_id}/use")
        secret = orjson.loads(blocks(dialog)[("auth", "unix")])["OPENAI_API_KEY"]
        await browser.get("/keys")
        assert (await browser.post(f"/keys/{key_id}/revoke")).status == 303
        async with (
            aiohttp.ClientSession() as plain,
            plain.get(root + "/v1/models", headers={"Authorization": f"Bearer {secret}"}) as r,
        ):
            assert r.status == 401
            assert "revoked" in (await r.json())["error"]["message"]
        status, _ = await browser.get(f"/keys/{key_id}/use")
        assert status == 404
        await browser.close()


async def test_someone_elses_key_is_not_found(tmp_path: Path) -> None:
    async with dashboard(tmp_path) as (app, root, _):
        owner, other = Browser(root), Browser(root)
        await owner.sign_up("dave")
        await owner.post("/keys", {"name": "mine"})
        (key_id,) = await user_keys(app, "dave")
        await other.sign_up("eve")
        status, page = await other.get(f"/keys/{key_id}/use")
        assert status == 404 and "sk-" not in page
        assert (await other.post(f"/keys/{key_id}/revoke")).status == 404
        key = await app[SERVICES].store.keys.by_id(key_id)
        assert key is not None and key.revoked_at is None
        await owner.close()
        await other.close()


async def test_sign_up_modes(tmp_path: Path) -> None:
    async with dashboard(tmp_path, SiteConfig(signup_mode="invite")) as (app, root, _):
        store = app[SERVICES].store
        await store.invites.create("WELCOME-1", 1, None, None, datetime.now(UTC))
        browser = Browser(root)
        await browser.get("/signup")
        form = {"username": "frank", "password": "long enough pw"}
        assert (await browser.post("/signup", form)).status == 400  # no code
        assert (await browser.post("/signup", {**form, "invite": "NOPE"})).status == 400
        assert (await browser.post("/signup", {**form, "invite": "WELCOME-1"})).status == 303
        second = Browser(root)
        await second.get("/signup")
        again = {"username": "grace", "password": "long enough pw", "invite": "WELCOME-1"}
        assert (await second.post("/signup", again)).status == 400  # used up
        assert await store.users.by_name("grace") is None
        await browser.close()
        await second.close()
    async with dashboard(tmp_path / "closed", SiteConfig(signup_mode="closed")) as (app, root, _):
        browser = Browser(root)
        _, page = await browser.get("/signup")
        assert "Sign-up is closed" in page
        await browser.get("/login")  # a page with a form, for the CSRF token
        form = {"username": "heidi", "password": "long enough pw"}
        assert (await browser.post("/signup", form)).status == 400
        assert await app[SERVICES].store.users.by_name("heidi") is None
        await browser.close()


async def test_login_logout_and_wrong_password(tmp_path: Path) -> None:
    async with dashboard(tmp_path) as (_, root, admin_password):
        browser = Browser(root)
        assert (await browser.log_in("admin", "wrong password")).status == 400
        assert (await browser.log_in("nobody", "wrong password")).status == 400
        assert (await browser.log_in("admin", admin_password)).status == 303
        status, page = await browser.get("/keys")
        assert status == 200 and "Log out" in page
        assert (await browser.post("/logout")).status == 303
        async with browser.session.get(root + "/keys", allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"].endswith("/login")
        await browser.close()


async def test_behind_a_path_prefix(tmp_path: Path) -> None:
    site = SiteConfig(signup_mode="open")
    async with (
        dashboard(tmp_path, site) as (app, root, _),
        prefix_proxy("/codex", root) as public,
    ):
        # the operator says where the service is published
        services = app[SERVICES]
        await services.store.site.put({"public_base_url": public})
        await services.directory.reload()
        browser = Browser(public)
        status, page = await browser.get("/signup")
        assert status == 200 and 'action="/codex/signup"' in page
        assert 'href="/codex/static/fourk-1.css"' in page
        response = await browser.post("/signup", {"username": "ivan", "password": "long enough pw"})
        assert response.headers["Location"] == "/codex/keys?welcome=1"
        cookies = response.headers.getall("Set-Cookie")
        session_cookie = next(c for c in cookies if c.startswith("fourk_session="))
        assert "Path=/codex" in session_cookie and "HttpOnly" in session_cookie
        assert "SameSite=Lax" in session_cookie and "Secure" not in session_cookie
        await browser.get("/keys")  # the session's own CSRF token from now on
        await browser.post("/keys", {"name": "behind proxy"})
        (key_id,) = await user_keys(app, "ivan")
        status, dialog = await browser.get(f"/keys/{key_id}/use")
        assert status == 200
        config = tomllib.loads(blocks(dialog)[("config", "unix")])
        assert config["model_providers"]["OpenAI"]["base_url"] == public
        async with browser.session.get(public + "/static/fourk-1.css") as r:
            assert r.status == 200
        await browser.close()


async def test_root_sends_browsers_to_the_dashboard(tmp_path: Path) -> None:
    async with dashboard(tmp_path) as (_, root, _), aiohttp.ClientSession() as plain:
        async with plain.get(
            root + "/", headers={"Accept": "text/html"}, allow_redirects=False
        ) as r:
            assert r.status == 303 and r.headers["Location"] == "/overview"
        async with plain.get(root + "/", headers={"Accept": "*/*"}) as r:
            assert "base_url" in await r.text()
