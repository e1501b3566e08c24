"""The money pages, driven like a browser against the in-process app with the demo simulator:
Billing (balance, spend, own ledger, redeeming), the request log's costs, and the operator's
Pricing, Ledger, Codes, top-ups and multipliers, checked by what the next request costs and
whether the wallet lets it through. After every scenario each balance is its ledger's sum."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from markupsafe import escape

from fourk.accounts.records import User
from fourk.api.context import SERVICES
from fourk.billing.pricing import Price, cost_of
from fourk.billing.usage import Usage
from fourk.dashboard.i18n import Catalogs
from fourk.dashboard.views.billing import KIND_LABELS
from fourk.services.accounts import create_key, create_user
from fourk.services.channels import add_channel
from fourk.store.log_reader import LogEntry, LogQuery
from fourk.store.logs import LogRow
from tests.support.browser_session import BrowserSession, log_in
from tests.support.dashboard_app import dashboard

PASSWORD = "money pages passphrase"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
TEMPLATES = Path(__file__).resolve().parents[2] / "src/fourk/dashboard/templates"
_CODE = re.compile(r"\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4}\b")


@dataclass
class Person:
    user: User
    key: str
    browser: BrowserSession


@asynccontextmanager
async def site(tmp: Path) -> AsyncIterator[tuple[web.Application, str, BrowserSession]]:
    """The in-process site (demo channel serving sim-model) and the admin logged in."""
    async with dashboard(tmp) as (app, root, password):
        admin = await log_in(root, "admin", password)
        try:
            yield app, root, admin
            assert await app[SERVICES].store.ledger.mismatches() == {}
        finally:
            await admin.close()


async def person(app: web.Application, root: str, name: str, credit: int = 0) -> Person:
    services = app[SERVICES]
    user, _ = await create_user(services.store, name, password=PASSWORD, initial_credit=credit)
    key = await create_key(services.store, user)
    await services.directory.reload()
    assert services.biller is not None
    await services.biller.refresh()  # the wallet sees the new account's credit
    return Person(user, key.secret, await log_in(root, name, PASSWORD))


async def ask(root: str, key: str, model: str = "sim-model") -> tuple[int, Any]:
    body = {"model": model, "input": "say something", "stream": False}
    async with (
        aiohttp.ClientSession() as plain,
        plain.post(
            root + "/v1/responses", json=body, headers={"Authorization": f"Bearer {key}"}
        ) as reply,
    ):
        return reply.status, await reply.json()


async def last_row(app: web.Application, user_id: int) -> LogEntry:
    page = await app[SERVICES].store.log_reader.page(LogQuery(user_id=user_id, limit=1))
    return page.rows[0]


def expected(row: LogEntry, price: Price, multiplier: int = 10_000) -> int:
    usage = Usage(
        input_tokens=row.input_tokens,
        cached_tokens=row.cached_tokens,
        output_tokens=row.output_tokens,
    )
    return cost_of(usage, price, multiplier).total


def text_of(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', page)
    assert found, element_id
    return found.group(1).strip()


# ---- Billing: balance, redeeming, one's own ledger -----------------------------------------


async def test_codes_made_by_the_operator_are_redeemed_once_on_billing(tmp_path: Path) -> None:
    async with site(tmp_path) as (app, root, admin):
        alice = await person(app, root, "alice")
        status, page = await alice.browser.get("/billing")
        assert status == 200 and text_of(page, "balance") == "$0.00"
        reply = await admin.send(
            "POST", "/admin/codes", {"count": "2", "value": "7.77", "batch": "launch"}
        )
        assert reply.status == 200 and "launch" in reply.text
        codes = list(dict.fromkeys(_CODE.findall(reply.text)))
        assert len(codes) == 2
        _, later = await admin.get("/admin/codes")
        assert not any(c in later for c in codes)  # shown once

        redeemed = await alice.browser.send("POST", "/billing/redeem", {"code": codes[0].lower()})
        assert redeemed.status == 303 and redeemed.location == "/billing?done=redeemed"
        _, page = await alice.browser.get("/billing?done=redeemed")
        assert text_of(page, "balance") == "$7.77" and "Code redeemed" in page
        again = await alice.browser.send("POST", "/billing/redeem", {"code": codes[0]})
        assert again.status == 400 and "already been redeemed" in again.text
        unknown = await alice.browser.send("POST", "/billing/redeem", {"code": "0" * 20})
        assert unknown.status == 400 and "no such code" in unknown.text

        _, batch = await admin.get("/admin/codes?batch=launch")
        assert ">alice</a>" in batch and batch.count('class="revoked"') == 1
        _, listing = await admin.get("/admin/codes")
        assert re.search(
            r">launch</a></td>\s*<td[^>]*>\$7\.77</td>\s*<td[^>]*>2</td>\s*"
            r"<td[^>]*>1</td>",
            listing,
        )
        await alice.browser.close()


async def test_a_user_sees_only_their_own_balance_and_ledger(tmp_path: Path) -> None:
    async with site(tmp_path) as (app, root, admin):
        alice = await person(app, root, "alice")
        bob = await person(app, root, "bob")
        reply = await admin.send(
            "POST",
            f"/admin/users/{alice.user.id}/balance",
            {"kind": "topup", "amount": "7.77", "reason": "alice-private-reason"},
        )
        assert reply.status == 303
        _, mine = await alice.browser.get("/billing")
        assert "alice-private-reason" in mine and text_of(mine, "balance") == "$7.77"
        entry = (await app[SERVICES].store.ledger.history(alice.user.id))[0]
        for path in ("/billing", f"/billing?before={entry.id + 1}", "/overview"):
            status, page = await bob.browser.get(path)
            assert status == 200 and "alice-private-reason" not in page and "$7.77" not in page
        _, overview = await alice.browser.get("/overview")
        assert text_of(overview, "stat-balance") == "$7.77"
        for who in (alice, bob):
            await who.browser.close()


# ---- the operator's changes, checked by the next request ----------------------------------


async def test_admin_top_up_reaches_the_wallet_at_once(tmp_path: Path) -> None:
    async with site(tmp_path) as (app, root, admin):
        carol = await person(app, root, "carol")
        status, body = await ask(root, carol.key)
        assert status == 429 and body["error"]["code"] == "insufficient_quota"
        assert "/billing" in body["error"]["message"]
        path = f"/admin/users/{carol.user.id}/balance"
        too_much = await admin.send("POST", path, {"kind": "deduct", "amount": "1", "reason": "x"})
        assert too_much.status == 400 and "balance is only $0.00" in too_much.text
        no_reason = await admin.send("POST", path, {"kind": "topup", "amount": "1", "reason": " "})
        assert no_reason.status == 400 and "Say why" in no_reason.text
        reply = await admin.send("POST", path, {"kind": "topup", "amount": "2", "reason": "paid"})
        assert reply.status == 303 and reply.location.endswith("?done=balance")
        status, body = await ask(root, carol.key)
        assert status == 200, body
        row = await last_row(app, carol.user.id)
        assert row.cost > 0
        ledger = await app[SERVICES].store.ledger.history(carol.user.id)
        admin_id = (await app[SERVICES].store.users.by_name("admin")).id  # type: ignore[union-attr]
        assert [(e.kind, e.actor_id) for e in ledger] == [("charge", None), ("topup", admin_id)]
        _, page = await admin.get(path.removesuffix("/balance"))
        assert text_of(page, "user-balance") == f"${(2_000_000 - row.cost) / 1e6:.6f}".rstrip("0")
        await carol.browser.close()


async def test_price_edits_and_multipliers_apply_to_the_next_request(tmp_path: Path) -> None:
    async with site(tmp_path) as (app, root, admin):
        dave = await person(app, root, "dave", credit=100_000_000)
        _, page = await admin.get("/admin/pricing")
        assert 'data-model="sim-model"' in page and "shipped default" in page
        form = {"model": "sim-model", "input": "1000", "cached_input": "", "output": "2000"}
        assert (await admin.send("POST", "/admin/pricing", form)).status == 303
        priced = Price(1_000_000_000, 1_000_000_000, 2_000_000_000)
        assert (await ask(root, dave.key))[0] == 200
        row = await last_row(app, dave.user.id)
        assert row.cost == expected(row, priced) and row.cost_output > 0

        form["output"] = "4000"
        assert (await admin.send("POST", "/admin/pricing", form)).status == 303
        reply = await admin.send(
            "POST", f"/admin/users/{dave.user.id}/multiplier", {"percent": "50"}
        )
        assert reply.status == 303
        assert (await ask(root, dave.key))[0] == 200
        row = await last_row(app, dave.user.id)
        doubled = Price(1_000_000_000, 1_000_000_000, 4_000_000_000)
        assert row.cost == expected(row, doubled, 5_000)

        reset = await admin.send("POST", "/admin/pricing/reset", {"model": "sim-model"})
        assert reset.status == 303
        _, page = await admin.get("/admin/pricing")
        assert "shipped default" in page.split('data-model="sim-model"')[1].split("</tr>")[0]
        bad = await admin.send("POST", "/admin/pricing", {**form, "input": "lots"})
        assert bad.status == 400 and "not an amount of dollars" in bad.text
        await dave.browser.close()


async def test_served_models_without_a_price_are_flagged_as_free(tmp_path: Path) -> None:
    async with site(tmp_path) as (app, _, admin):
        services = app[SERVICES]
        await add_channel(
            services.store,
            name="house",
            kind="sim",
            base_url="sim://local",
            models=["house-model"],
            api_key=None,
        )
        await services.store.prices.put("retired-model", Price(1, 1, 1))
        await services.directory.reload()
        _, page = await admin.get("/admin/pricing")
        flagged = re.search(r'id="unpriced">([^<]*)<', page)
        assert flagged and "house-model" in flagged.group(1) and "sim-model" not in flagged.group(1)
        house = page.split('data-model="house-model"')[1].split("</tr>")[0]
        assert "no price: free" in house
        retired = page.split('data-model="retired-model"')[1].split("</tr>")[0]
        assert "not served" in retired and "Remove price" in retired  # no default to go back to


async def test_initial_credit_in_settings_funds_new_accounts(tmp_path: Path) -> None:
    async with site(tmp_path) as (app, root, admin):
        await admin.get("/admin/settings")
        form = {
            "site_name": "fourk",
            "public_base_url": "",
            "signup_mode": "open",
            "initial_language": "en",
            "initial_credit": "2.50",
        }
        assert (await admin.send("POST", "/admin/settings", form)).status == 303
        assert app[SERVICES].directory.site.initial_credit == 2_500_000
        _, page = await admin.get("/admin/settings")
        assert 'name="initial_credit" inputmode="decimal" value="2.50"' in page
        bad = await admin.send("POST", "/admin/settings", {**form, "initial_credit": "-1"})
        assert bad.status == 400
        newcomer = BrowserSession(root)
        await newcomer.sign_up("erin", PASSWORD)
        _, billing = await newcomer.get("/billing")
        assert text_of(billing, "balance") == "$2.50" and "Sign-up credit" in billing
        await newcomer.close()


# ---- the request log's costs ----------------------------------------------------------------


async def test_the_request_log_shows_costs_and_the_estimated_marker(tmp_path: Path) -> None:
    async with site(tmp_path) as (app, root, _):
        frank = await person(app, root, "frank", credit=5_000_000)
        row = LogRow(
            request_id="req-estimated",
            created_at=datetime.now(UTC),
            user_id=frank.user.id,
            key_id=1,
            model="sim-model",
            endpoint="responses",
            stream=True,
            status=200,
            duration_ms=10,
            channel_id=1,
            input_tokens=1000,
            output_tokens=500,
            cost=1_234_567,
            cost_input=234_567,
            cost_output=1_000_000,
            usage_estimated=True,
        )
        await app[SERVICES].store.logs.insert_many([row])
        _, page = await frank.browser.get("/logs")
        assert "$1.234567" in page and 'class="estimated"' in page
        _, detail = await frank.browser.get("/logs/req-estimated")
        assert 'id="cost-charged">$1.234567<' in detail and "$0.234567" in detail
        assert "badge estimated" in detail
        _, billing = await frank.browser.get("/billing")
        assert 'href="/logs/req-estimated"' in billing and "$3.765433" in billing
        _, overview = await frank.browser.get("/overview")
        assert "$1.234567 spent this month" in overview
        await frank.browser.close()


# ---- escaping, CSRF, Chinese ----------------------------------------------------------------


async def test_reasons_and_batch_labels_are_escaped(tmp_path: Path) -> None:
    async with site(tmp_path) as (app, root, admin):
        grace = await person(app, root, "grace")
        path = f"/admin/users/{grace.user.id}/balance"
        await admin.send("POST", path, {"kind": "topup", "amount": "1", "reason": SCRIPT})
        made = await admin.send("POST", "/admin/codes", {"count": "1", "value": "1", "batch": IMG})
        assert made.status == 200
        code = _CODE.search(made.text)
        assert (
            code
            and (
                await grace.browser.send("POST", "/billing/redeem", {"code": code.group(0)})
            ).status
            == 303
        )
        pages = [
            (grace.browser, "/billing"),
            (admin, "/admin/ledger"),
            (admin, f"/admin/ledger?user={grace.user.username}"),
            (admin, f"/admin/users/{grace.user.id}"),
            (admin, "/admin/codes"),
            (admin, "/admin/codes?" + aiohttp.helpers.quote(f"batch={IMG}", safe="=")),
        ]
        escaped = 0
        for browser, page_path in pages:
            status, page = await browser.get(page_path)
            assert status == 200 and SCRIPT not in page and IMG not in page, page_path
            escaped += str(escape(SCRIPT)) in page or str(escape(IMG)) in page
        assert escaped == len(pages)
        assert "<img" not in made.text.split("<main")[1].replace("<img src=x", "")
        await grace.browser.close()


async def test_money_forms_need_the_csrf_token(tmp_path: Path) -> None:
    async with site(tmp_path) as (app, root, admin):
        heidi = await person(app, root, "heidi")
        for browser, path, form in (
            (heidi.browser, "/billing/redeem", {"code": "0" * 20}),
            (
                admin,
                f"/admin/users/{heidi.user.id}/balance",
                {"kind": "topup", "amount": "5", "reason": "forged"},
            ),
            (admin, f"/admin/users/{heidi.user.id}/multiplier", {"percent": "0"}),
            (admin, "/admin/pricing", {"model": "sim-model", "input": "0", "output": "0"}),
            (admin, "/admin/pricing/reset", {"model": "sim-model"}),
            (admin, "/admin/codes", {"count": "1", "value": "100"}),
        ):
            async with browser.session.post(browser.base + path, data=form) as response:
                assert response.status == 403, path
        assert await app[SERVICES].store.ledger.balance(heidi.user.id) == 0
        assert await app[SERVICES].store.prices.all() == {}
        assert await app[SERVICES].store.redemption_codes.batches(datetime.now(UTC)) == []
        await heidi.browser.close()


def money_strings() -> set[str]:
    pattern = re.compile(r"""\bt\(\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")
    files = [TEMPLATES / "base.html", *sorted((TEMPLATES / "billing").glob("*.html"))]
    files += [TEMPLATES / "admin" / f"{n}.html" for n in ("pricing", "ledger", "codes", "user")]
    files += [TEMPLATES / "logs" / "detail.html", TEMPLATES / "logs" / "_table.html"]
    found = set(KIND_LABELS.values())
    for path in files:
        for literal in pattern.findall(path.read_text(encoding="utf-8")):
            found.add(literal[1:-1].replace("\\\\", "\\").replace(f"\\{literal[0]}", literal[0]))
    return found


def test_every_money_string_has_a_chinese_translation() -> None:
    catalog = Catalogs().strings("zh")
    strings = money_strings()
    assert len(strings) > 80
    assert sorted(strings - catalog.keys()) == []
    for english in strings:
        placeholders = set(re.findall(r"\{(\w+)\}", english))
        assert set(re.findall(r"\{(\w+)\}", catalog[english])) == placeholders, english


async def test_the_money_pages_and_refusals_render_in_chinese(tmp_path: Path) -> None:
    async with site(tmp_path) as (app, root, admin):
        ivan = await person(app, root, "ivan")
        ivan.browser.session.cookie_jar.update_cookies({"fourk_lang": "zh"})
        _, page = await ivan.browser.get("/billing")
        assert "兑换码充值" in page and "余额" in page
        refusals = []
        for code in ("nonsense", "0" * 20, "0" * 20, "0" * 20, "0" * 20, "0" * 20, "0" * 20):
            reply = await ivan.browser.send("POST", "/billing/redeem", {"code": code})
            refusals.append((reply.status, reply.text))
        assert "这不是兑换码" in refusals[0][1] and "没有这个兑换码" in refusals[1][1]
        assert refusals[-1][0] == 429 and "秒后重试" in refusals[-1][1]
        admin.session.cookie_jar.update_cookies({"fourk_lang": "zh"})
        for path, words in (
            ("/admin/pricing", "设置价格"),
            ("/admin/ledger", "操作人"),
            ("/admin/codes", "生成一批"),
            (f"/admin/users/{ivan.user.id}", "价格倍率"),
        ):
            status, text = await admin.get(path)
            assert status == 200 and words in text, path
        await ivan.browser.close()
