"""The dashboard in a real browser (Debian's Chromium, headless, through Playwright).

A person signs up, creates a key, opens Use key, picks their system, presses the copy buttons,
and pastes what the clipboard holds into config.toml and auth.json; the real Codex CLI then
runs with exactly those files, and the keys page shows that it worked. Along the way every main
page is saved as a screenshot (light and dark, English and Chinese) in
tests/artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import json
import re
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.codex import codex_available, run_codex
from tests.support.processes import Proc, start_fourk

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page, expect, sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
PASSWORD = "correct horse battery staple"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
    pytest.mark.skipif(not codex_available(), reason="run `npm ci --prefix tests` first"),
]

# what each tab of the Use key dialog must tell a person about where the files go
SYSTEM_PATHS = {
    "unix": ("~/.codex/config.toml", "~/.codex/auth.json", None),
    "wsl": ("~/.codex/config.toml", "~/.codex/auth.json", "Linux home"),
    "windows": (r"%USERPROFILE%\.codex\config.toml", r"%USERPROFILE%\.codex\auth.json", None),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proc]:
    """fourk --demo: the built-in simulator serves the models and anyone may sign up."""
    proc = start_fourk(tmp_path_factory.mktemp("dash") / "data", None, "--demo")
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()


def new_page(browser: Browser, server: Proc, scheme: str = "light") -> Page:
    context = browser.new_context(
        base_url=server.url,
        viewport={"width": 1280, "height": 900},
        color_scheme=scheme,  # type: ignore[arg-type]
        locale="en-US",
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    return context.new_page()


def shoot(page: Page, name: str, *, full: bool = True) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


def sign_up(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/keys?welcome=1")


def create_key(page: Page, name: str) -> None:
    """Create a key; the page then opens its Use key dialog by itself."""
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("dialog#use-key")).to_be_visible()


def check_system_tabs(page: Page, prefix: str) -> None:
    """Each tab shows its own paths (and WSL its note); a screenshot of each."""
    dialog = page.locator("dialog#use-key")
    for system, (config_path, auth_path, note) in SYSTEM_PATHS.items():
        dialog.locator(f"#tab-{system}").click()
        panel = dialog.locator(f"#panel-{system}")
        expect(panel).to_be_visible()
        expect(dialog.locator(f"#tab-{system}")).to_have_attribute("aria-selected", "true")
        paths = panel.locator("code.path").all_inner_texts()
        assert paths[:2] == [config_path, auth_path], (system, paths)
        if note:
            expect(panel.locator(".note")).to_contain_text(note)
            expect(panel.locator(".note")).to_contain_text("/home/you/.codex")
        shoot(page, f"{prefix}-{system}", full=False)
    dialog.locator("#tab-unix").click()


def check_keyboard(page: Page) -> None:
    """Tab reaches the chosen system's tab; the arrow keys move between systems."""
    dialog = page.locator("dialog#use-key")
    dialog.locator("select[name=review_model]").focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.id")
    assert focused == "tab-unix", focused
    for key, expected in (
        ("ArrowRight", "wsl"),
        ("ArrowRight", "windows"),
        ("ArrowRight", "unix"),
        ("ArrowLeft", "windows"),
    ):
        page.keyboard.press(key)
        assert page.evaluate("document.activeElement.id") == f"tab-{expected}"
        expect(dialog.locator(f"#panel-{expected}")).to_be_visible()
        expect(dialog.locator(".panel:visible")).to_have_count(1)
    page.keyboard.press("ArrowRight")  # back to macOS / Linux, the system Codex runs on here


def copy_block(page: Page, block_id: str) -> str:
    """Press the copy button of a block and read what the clipboard got."""
    button = page.locator(f"button.copy[data-copy='#{block_id}']")
    button.click()
    expect(button).to_have_class(re.compile(r"\bcopied\b"))
    text = page.evaluate("navigator.clipboard.readText()")
    assert isinstance(text, str)
    return text


def copied_files(page: Page, system: str) -> tuple[str, str]:
    """config.toml and auth.json as the copy buttons of a system's tab hand them out."""
    page.locator(f"dialog#use-key #tab-{system}").click()
    return copy_block(page, f"config-{system}"), copy_block(page, f"auth-{system}")


def last_seen_cell(page: Page, key_name: str) -> str:
    page.goto("/keys")
    return page.locator("tr", has_text=key_name).locator("td.last-seen").inner_text()


def test_codex_works_with_what_the_use_key_dialog_copies(
    server: Proc, browser: Browser, tmp_path: Path
) -> None:
    page = new_page(browser, server)
    page.goto("/login")
    shoot(page, "01-login-light")
    sign_up(page, "carol")
    create_key(page, "laptop")
    check_system_tabs(page, "03-use-key-light")
    check_keyboard(page)
    config, auth = copied_files(page, "unix")
    assert copied_files(page, "windows") == (config, auth)  # same files, other place
    assert f'base_url = "{server.url}"' in config and 'wire_api = "responses"' in config
    home = tmp_path / "codex-home"
    home.mkdir()
    (home / "config.toml").write_text(config, encoding="utf-8")
    (home / "auth.json").write_text(auth, encoding="utf-8")
    run = run_codex(home, tmp_path / "work", "say dashboard-ok-4096")
    assert run.returncode == 0, run.text
    assert run.messages and "dashboard-ok-4096" in run.messages[-1]
    seen = last_seen_cell(page, "laptop")
    assert "worked" in seen and "codex_exec 0.171.0" in seen, seen
    shoot(page, "02-keys-light")
    check_log_pages(page)


def check_log_pages(page: Page) -> None:
    """The overview counts the request; the log lists it and opens its detail."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Overview").click()
    expect(page.locator("#stat-requests-today")).not_to_have_text("0")
    expect(page.locator("#chart-requests g.day")).to_have_count(30)
    shoot(page, "04-overview-light")
    page.get_by_role("link", name="All requests").click()
    page.wait_for_url("**/logs")
    rows = page.locator("table.logs tbody tr")
    expect(rows.first).to_contain_text("codex_exec")
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("Status").select_option("error")  # htmx swaps the table, URL follows
    page.wait_for_url("**/logs?status=error")
    expect(page.locator("#log-table")).to_contain_text("No requests match these filters.")
    page.get_by_label("Status").select_option("ok")
    page.wait_for_url("**/logs?status=ok")
    expect(rows.first).to_contain_text("codex_exec")
    assert page.evaluate("window.stillTheSamePage") is True  # no full reload
    shoot(page, "05-logs-light")
    rows.first.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/logs/[\w-]+$"))
    expect(page.locator("dl.facts").first).to_contain_text("codex_exec 0.171.0")
    shoot(page, "06-log-detail-light")


def background_is_dark(page: Page) -> bool:
    color = page.evaluate("getComputedStyle(document.body).backgroundColor")
    red, green, blue = (int(v) for v in re.findall(r"\d+", color)[:3])
    return red + green + blue < 200


def send_requests(server: Proc, key: str, models: list[str]) -> None:
    """A few requests with the key, as any OpenAI client would send them."""
    for model in models:
        body = json.dumps({"model": model, "input": "hello", "stream": False}).encode()
        request = urllib.request.Request(
            server.url + "/v1/responses",
            data=body,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
        except urllib.error.HTTPError as refused:
            refused.read()


def test_dark_mode_and_chinese(server: Proc, browser: Browser) -> None:
    page = new_page(browser, server, "dark")
    sign_up(page, "dora")
    assert background_is_dark(page)
    create_key(page, "desktop")
    key = json.loads(page.locator("#auth-unix").inner_text())["OPENAI_API_KEY"]
    send_requests(server, key, ["gpt-5-codex", "sim-model", "no-such-model", "gpt-5-codex"])
    page.reload()
    shoot(page, "03-use-key-dark", full=False)
    page.goto("/keys")
    shoot(page, "02-keys-dark")
    for path, name in (("/overview", "04-overview"), ("/logs", "05-logs")):
        page.goto(path)
        shoot(page, f"{name}-dark")
    page.locator("table.logs tr.failed a").first.click()
    expect(page.locator(".detail-error")).to_contain_text("model_not_found")
    shoot(page, "06-log-detail-dark")
    page.emulate_media(color_scheme="light")
    assert not background_is_dark(page)
    page.goto("/overview")
    page.get_by_role("link", name="中文").click()  # the language switch in the header
    expect(page.locator("h1")).to_have_text("概览")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    shoot(page, "04-overview-light-zh")
    page.goto("/logs")
    expect(page.get_by_label("状态")).to_be_visible()
    shoot(page, "05-logs-light-zh")
    page.goto("/keys")
    open_dialog_zh(page)
    page.emulate_media(color_scheme="dark")
    assert background_is_dark(page)
    shoot(page, "03-use-key-dark-zh", full=False)
    page.keyboard.press("Escape")
    expect(page.locator("dialog#use-key")).to_have_count(0)
    page.get_by_role("link", name="English").click()
    expect(page.locator("h1")).to_have_text("API keys")


def open_dialog_zh(page: Page) -> None:
    page.locator("tr", has_text="desktop").get_by_role("link", name="使用密钥").click()
    dialog = page.locator("dialog#use-key")
    expect(dialog).to_be_visible()
    dialog.locator("#tab-wsl").click()
    expect(dialog.locator("#panel-wsl .note")).to_contain_text("Linux 主目录")
