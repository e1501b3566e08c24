"""The operator's pages, driven like a browser: forms with CSRF tokens, htmx fragments, and
what each action changes."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web

from fourk.api.context import SERVICES
from fourk.dashboard.i18n import Catalogs
from fourk.providers.registry import DESCRIPTIONS
from fourk.services.accounts import create_user
from tests.support.browser_session import BrowserSession, log_in, token_call
from tests.support.dashboard_app import dashboard

PASSWORD = "bob passphrase 123"


@asynccontextmanager
async def operator(tmp: Path) -> AsyncIterator[tuple[web.Application, str, BrowserSession]]:
    """The in-process site (demo channel demo-sim), user bob, and the admin logged in."""
    async with dashboard(tmp) as (app, root, password):
        await create_user(app[SERVICES].store, "bob", password=PASSWORD)
        await app[SERVICES].directory.reload()
        admin = await log_in(root, "admin", password)
        try:
            yield app, root, admin
        finally:
            await admin.close()


def rows(page: str, attribute: str) -> list[str]:
    return re.findall(rf'{attribute}="([^"]+)"', page)


async def test_users_page_searches_and_toggles_role_and_status(tmp_path: Path) -> None:
    async with operator(tmp_path) as (app, _, admin):
        status, page = await admin.get("/admin/users?q=bo")
        assert status == 200 and ">bob<" in page and ">admin<" not in page.split("<tbody>")[1]
        bob = await app[SERVICES].store.users.by_name("bob")
        assert bob is not None
        reply = await admin.send("POST", f"/admin/users/{bob.id}/role", {"role": "admin"})
        assert reply.status == 303
        reply = await admin.send("POST", f"/admin/users/{bob.id}/status", {"status": "disabled"})
        assert reply.status == 303 and reply.location == "/admin/users"
        bob = await app[SERVICES].store.users.by_name("bob")
        assert bob is not None and bob.is_admin and not bob.is_active
        _, page = await admin.get("/admin/users")
        assert "Enable" in page and "Remove admin" in page


async def test_the_last_admin_is_told_why_they_cannot_step_down(tmp_path: Path) -> None:
    async with operator(tmp_path) as (app, _, admin):
        me = await app[SERVICES].store.users.by_name("admin")
        assert me is not None
        reply = await admin.send("POST", f"/admin/users/{me.id}/role", {"role": "user"})
        assert reply.status == 409 and "last active admin" in reply.text
        async with admin.session.post(
            admin.base + f"/admin/users/{me.id}/status",
            data={"csrf_token": admin.csrf, "status": "disabled"},
            headers={"HX-Request": "true", "HX-Target": "users"},
        ) as response:
            fragment = await response.text()
        # htmx swaps only successful answers: the message comes as a 200 fragment
        assert response.status == 200 and "last active admin" in fragment
        assert fragment.lstrip().startswith('<div id="users">')
        me = await app[SERVICES].store.users.by_name("admin")
        assert me is not None and me.is_admin and me.is_active


async def test_adjust_a_user_name_and_a_one_time_password(tmp_path: Path) -> None:
    async with operator(tmp_path) as (app, root, admin):
        bob = await app[SERVICES].store.users.by_name("bob")
        assert bob is not None
        reply = await admin.send("POST", f"/admin/users/{bob.id}/name", {"display_name": "Bob B"})
        assert reply.status == 303 and reply.location == f"/admin/users/{bob.id}?done=name"
        _, page = await admin.get(reply.location)
        assert "Display name saved." in page and 'value="Bob B"' in page
        reply = await admin.send("POST", f"/admin/users/{bob.id}/password")
        assert reply.status == 200
        found = re.search(r'<pre id="one-time-password"><code>([^<]+)</code>', reply.text)
        assert found, "the new password is shown once"
        new = html.unescape(found.group(1))
        _, again = await admin.get(f"/admin/users/{bob.id}")
        assert new not in again
        bob_browser = await log_in(root, "bob", new)
        await bob_browser.close()
        me = await app[SERVICES].store.users.by_name("admin")
        assert me is not None
        own = await admin.send("POST", f"/admin/users/{me.id}/password")
        assert own.status == 409 and "under Account" in own.text


async def test_add_edit_test_and_disable_a_channel(tmp_path: Path) -> None:
    async with operator(tmp_path) as (app, _, admin):
        await admin.get("/admin/channels")
        form = {
            "name": "second",
            "kind": "sim",
            "base_url": "sim://two",
            "models": "two-a, two-b",
            "api_key": "sk-upstream-pages-secret",
            "priority": "3",
            "weight": "2",
            "model_map": "two-a=sim-model",
            "forward_headers": "X-Trace",
        }
        reply = await admin.send("POST", "/admin/channels", form)
        assert reply.status == 303, reply.text
        row = await app[SERVICES].store.channels.by_name("second")
        assert row is not None and row.models == ("two-a", "two-b") and row.priority == 3
        assert row.options == {"model_map": {"two-a": "sim-model"}, "forward_headers": ["x-trace"]}
        assert row.sealed_secret and "sk-upstream-pages-secret" not in row.sealed_secret
        assert "two-a" in app[SERVICES].directory.served_models()

        status, page = await admin.get(f"/admin/channels/{row.id}")
        assert status == 200 and "sk-upstream-pages-secret" not in page
        assert "two-a=sim-model" in page and "stored (hidden)" in page
        edit = form | {"name": "second", "models": "two-a", "api_key": "", "weight": "5"}
        reply = await admin.send("POST", f"/admin/channels/{row.id}", edit)
        assert reply.status == 303 and reply.location == f"/admin/channels/{row.id}?done=saved"
        edited = await app[SERVICES].store.channels.by_name("second")
        assert edited is not None and edited.weight == 5 and edited.models == ("two-a",)
        assert edited.sealed_secret == row.sealed_secret  # an empty field keeps the secret

        async with admin.session.post(
            admin.base + f"/admin/channels/{row.id}/test",
            data={"csrf_token": admin.csrf, "model": "two-a"},
            headers={"HX-Request": "true"},
        ) as response:
            fragment = await response.text()
        assert response.status == 200 and ">OK<" in fragment and "sim-model" in fragment
        plain = await admin.send("POST", f"/admin/channels/{row.id}/test", {})
        assert plain.status == 200 and ">OK<" in plain.text and "<html" in plain.text

        reply = await admin.send("POST", f"/admin/channels/{row.id}/enabled", {"enabled": "0"})
        assert reply.status == 303
        assert "two-a" not in app[SERVICES].directory.served_models()
        wrong = edit | {"kind": "openai-responses", "base_url": "not a url"}
        bad = await admin.send("POST", f"/admin/channels/{row.id}", wrong)
        assert bad.status == 400 and "must be an http(s) URL" in html.unescape(bad.text)
        bad = await admin.send("POST", "/admin/channels", form | {"name": "demo-sim"})
        assert bad.status == 409 and "exists already" in html.unescape(bad.text)
        assert 'value="sim://two"' in bad.text  # the form keeps what was typed
        reply = await admin.send("POST", f"/admin/channels/{row.id}/delete")
        assert reply.status == 303
        assert await app[SERVICES].store.channels.by_name("second") is None


def box(page: str) -> str:
    """What the Protocol options box holds."""
    found = re.search(r'<textarea name="protocol_options"[^>]*>([^<]*)</textarea>', page)
    assert found, "the page has a Protocol options box"
    return html.unescape(found.group(1))


async def test_protocol_options_are_set_shown_and_checked_for_the_kind(tmp_path: Path) -> None:
    async with operator(tmp_path) as (app, _, admin):
        _, page = await admin.get("/admin/channels")
        text = html.unescape(page)
        assert ">openai-chat: any Chat Completions server (DeepSeek" in text  # the kind's words
        assert "fourk adds /chat/completions, e.g. https://api.deepseek.com/v1" in text
        assert "fourk adds /v1/messages, e.g. https://api.anthropic.com" in text
        assert "<code>reasoning_back</code>" in page and "<code>thinking_budgets</code>" in page
        form = {
            "name": "deepseek",
            "kind": "openai-chat",
            "base_url": "https://api.deepseek.com/v1",
            "models": "deepseek-chat",
            "model_map": "deepseek-chat=deepseek-v4",
            "protocol_options": '{"reasoning_back": true, "extra_body": {"stream_options": null}}',
        }
        reply = await admin.send("POST", "/admin/channels", form)
        assert reply.status == 303, reply.text
        row = await app[SERVICES].store.channels.by_name("deepseek")
        assert row is not None and row.options == {
            "model_map": {"deepseek-chat": "deepseek-v4"},
            "reasoning_back": True,
            "extra_body": {"stream_options": None},
        }
        _, page = await admin.get(f"/admin/channels/{row.id}")
        assert box(page) == (  # pretty-printed, without the general options
            '{\n  "reasoning_back": true,\n  "extra_body": {\n    "stream_options": null\n  }\n}'
        )

        for typed, words in [
            ('{"reasoning_back": "yes"}', "'reasoning_back' must be true or false"),
            ('{"thinking": true}', "'thinking' is for anthropic channels, not openai-chat"),
            ('{"colour": "red"}', "unknown option 'colour'"),
            ("reasoning_back=true", "Protocol options must be a JSON object"),
            ('["x"]', "Protocol options must be a JSON object"),
            ('{"model_map": {"a": "b"}}', "Set model_map in its own field"),
        ]:
            bad = await admin.send(
                "POST", f"/admin/channels/{row.id}", form | {"protocol_options": typed}
            )
            text = html.unescape(bad.text)
            assert bad.status == 400 and words in text, (typed, text[-3000:])
            assert box(bad.text) == typed  # the box keeps what was typed
        # a new kind with the old kind's options is refused; with its own, it is saved
        switch = form | {"kind": "anthropic", "base_url": "https://api.anthropic.com"}
        bad = await admin.send("POST", f"/admin/channels/{row.id}", switch)
        said = html.unescape(bad.text)
        assert (
            bad.status == 400
            and "'reasoning_back' is for openai-chat channels, not anthropic" in said
        )
        claude = '{"thinking_budgets": {"high": 16000}, "auth": "bearer"}'
        reply = await admin.send(
            "POST", f"/admin/channels/{row.id}", switch | {"protocol_options": claude}
        )
        assert reply.status == 303, reply.text
        row = await app[SERVICES].store.channels.by_name("deepseek")
        assert row is not None and row.kind == "anthropic"
        assert row.options == {
            "model_map": {"deepseek-chat": "deepseek-v4"},
            "thinking_budgets": {"high": 16000},
            "auth": "bearer",
        }
        reply = await admin.send(
            "POST", f"/admin/channels/{row.id}", switch | {"protocol_options": ""}
        )
        row = await app[SERVICES].store.channels.by_name("deepseek")
        assert reply.status == 303 and row is not None
        assert row.options == {"model_map": {"deepseek-chat": "deepseek-v4"}}  # emptied
        bad = await admin.send("POST", "/admin/channels", form | {"name": "other", "kind": "sim"})
        said = html.unescape(bad.text)
        assert bad.status == 400 and "'reasoning_back' is for openai-chat" in said
        assert box(bad.text) == form["protocol_options"]  # the add form keeps it too


async def test_models_page_aliases_hiding_and_dialog_defaults(tmp_path: Path) -> None:
    async with operator(tmp_path) as (app, root, admin):
        directory = app[SERVICES].directory
        status, page = await admin.get("/admin/models")
        assert status == 200 and rows(page, "data-model") == ["gpt-5-codex", "sim-model"]
        reply = await admin.send(
            "POST",
            "/admin/models",
            {"name": "codex", "alias_of": "sim-model", "visible": "1", "position": "-1"},
        )
        assert reply.status == 303 and directory.aliases == {"codex": "sim-model"}
        assert directory.served_models() == ["codex", "gpt-5-codex", "sim-model"]
        reply = await admin.send(
            "POST",
            "/admin/models/save",
            {"name": "gpt-5-codex", "description": "big", "position": "0"},
        )  # no "visible": the box was unticked
        assert reply.status == 303 and directory.served_models() == ["codex", "sim-model"]
        assert "gpt-5-codex" in directory.by_model  # hidden, still routed
        bad = await admin.send("POST", "/admin/models", {"name": "x", "alias_of": "nope"})
        assert bad.status == 400 and "No channel serves" in html.unescape(bad.text)

        reply = await admin.send(
            "POST", "/admin/models/defaults", {"default_model": "codex", "default_review_model": ""}
        )
        assert reply.status == 303 and directory.site.default_model == "codex"
        bob = await log_in(root, "bob", PASSWORD)
        try:
            await bob.send("POST", "/keys", {"name": "laptop"})
            (key,) = await app[SERVICES].store.keys.all(await _id(app, "bob"))
            _, dialog = await bob.get(f"/keys/{key.id}/use")
            text = html.unescape(dialog)
            assert '\nmodel = "codex"' in text and 'review_model = "codex"' in text
        finally:
            await bob.close()
        reply = await admin.send("POST", "/admin/models/delete", {"name": "codex"})
        assert reply.status == 303 and directory.aliases == {}


async def _id(app: web.Application, username: str) -> int:
    user = await app[SERVICES].store.users.by_name(username)
    assert user is not None
    return user.id


async def test_settings_invites_and_a_token_shown_once(tmp_path: Path) -> None:
    async with operator(tmp_path) as (app, root, admin):
        await admin.get("/admin/settings")
        form = {
            "site_name": "Relay Nine",
            "public_base_url": "",
            "signup_mode": "invite",
            "initial_language": "zh",
        }
        reply = await admin.send("POST", "/admin/settings", form)
        assert reply.status == 303
        _, page = await admin.get("/admin/settings")
        assert "Relay Nine" in page and app[SERVICES].directory.site.signup_mode == "invite"
        bad = await admin.send(
            "POST", "/admin/settings", form | {"public_base_url": "https://x/v1"}
        )
        assert bad.status == 400 and "/v1" in bad.text

        reply = await admin.send("POST", "/admin/invites", {"max_uses": "3", "expires_in_days": ""})
        code = re.search(r'<code id="new-invite">([^<]+)</code>', reply.text)
        assert reply.status == 200 and code
        invites = await app[SERVICES].store.invites.all()
        assert [(i.code, i.max_uses, i.expires_at) for i in invites] == [(code.group(1), 3, None)]

        reply = await admin.send("POST", "/admin/tokens", {"name": "deploy"})
        secret = re.search(r'<pre id="new-token"><code>(sk-[^<]+)</code>', reply.text)
        assert reply.status == 200 and secret
        _, later = await admin.get("/admin/settings")
        assert secret.group(1) not in later and "deploy" in later
        status, _ = await token_call(root, "GET", "/api/settings", secret.group(1))
        assert status == 200
        (token,) = [k for k in await app[SERVICES].store.keys.all() if k.scope == "manage"]
        reply = await admin.send("POST", f"/admin/tokens/{token.id}/revoke")
        assert reply.status == 303
        status, _ = await token_call(root, "GET", "/api/settings", secret.group(1))
        assert status == 401


async def test_forms_without_the_csrf_token_are_refused(tmp_path: Path) -> None:
    async with operator(tmp_path) as (app, _, admin):
        async with admin.session.post(
            admin.base + "/admin/settings", data={"site_name": "Hijacked"}
        ) as response:
            assert response.status == 403
        assert app[SERVICES].directory.site.site_name != "Hijacked"


def test_every_string_of_the_operator_pages_has_a_chinese_translation() -> None:
    catalog = Catalogs().strings("zh")
    templates = Path(__file__).resolve().parents[2] / "src/fourk/dashboard/templates/admin"
    found: set[str] = set()
    for template in templates.glob("*.html"):
        text = template.read_text()
        found |= {a or b for a, b in re.findall(r"""\bt\(\s*(?:"([^"]*)"|'([^']*)')""", text)}
    found |= {"Open to anyone", "With an invite code", "Closed"}  # the sign-up modes' labels
    found |= set(DESCRIPTIONS.values())  # the channel kinds' words
    missing = sorted(s for s in found if s not in catalog)
    assert not missing, f"no Chinese for: {missing}"
    assert len(found) > 100


async def test_the_operator_pages_render_in_chinese(tmp_path: Path) -> None:
    async with operator(tmp_path) as (_, _root, admin):
        admin.session.cookie_jar.update_cookies({"fourk_lang": "zh"})
        for page, words in [
            ("/admin/users", "设为管理员"),
            ("/admin/channels", "添加渠道"),
            ("/admin/models", "添加别名"),
            ("/admin/settings", "管理令牌"),
        ]:
            status, text = await admin.get(page)
            assert status == 200 and words in text, page
