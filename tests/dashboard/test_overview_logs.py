"""The overview's numbers and charts, the request log's filters and cursor, and who sees what."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path

import pytest
from aiohttp import web

from fourk.api.context import SERVICES
from fourk.dashboard.activity import fill_days, headline, totals_since, window_days
from fourk.dashboard.charts import bar_chart, compact, nice_ceiling
from fourk.dashboard.i18n import Catalogs
from fourk.dashboard.use_key import SYSTEMS
from fourk.store.db import create_engine, migrate
from fourk.store.log_reader import DayTotals, LogQuery, LogReader
from fourk.store.logs import LogRow, RequestLogs
from tests.support.dashboard_app import Browser, dashboard

TEMPLATES = Path(resources.files("fourk.dashboard") / "templates")  # type: ignore[arg-type]


def log_row(
    request_id: str,
    at: datetime,
    *,
    user_id: int = 1,
    key_id: int = 1,
    model: str = "gpt-5-codex",
    status: int = 200,
    error_code: str | None = None,
    input_tokens: int = 100,
    output_tokens: int = 10,
    channel_id: int | None = None,
) -> LogRow:
    return LogRow(
        request_id=request_id,
        created_at=at,
        user_id=user_id,
        key_id=key_id,
        model=model,
        endpoint="responses",
        stream=True,
        status=status,
        duration_ms=1234,
        channel_id=channel_id,
        error_code=error_code,
        error_message="upstream said no" if error_code else None,
        input_tokens=input_tokens,
        cached_tokens=input_tokens // 2,
        output_tokens=output_tokens,
        reasoning_tokens=3,
        ttfb_ms=321,
        attempts=2 if error_code else 1,
        client="codex_exec",
        client_version="0.171.0",
    )


def at(day: date, minutes: int = 0) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC) + timedelta(minutes=minutes)


# ---- pure: days, headline numbers, chart geometry ------------------------------------------


def test_fill_days_covers_thirty_days_ending_today() -> None:
    today = date(2025, 3, 10)
    days = fill_days([DayTotals(date(2025, 3, 9), 4, 1, 40, 0, 4)], today)
    assert len(days) == 30 and days[0].day == date(2025, 2, 9) and days[-1].day == today
    assert days[-2].requests == 4 and days[-1] == DayTotals(today, 0, 0, 0, 0, 0)


def test_headline_numbers() -> None:
    today = date(2025, 3, 31)  # the 1st of this month is outside the 30-day window
    totals = [
        DayTotals(date(2025, 2, 28), 10, 5, 1000, 0, 100),  # last month: not "this month"
        DayTotals(date(2025, 3, 1), 2, 0, 50, 0, 5),  # this month, outside the window
        DayTotals(date(2025, 3, 30), 6, 1, 600, 0, 60),
        DayTotals(today, 4, 0, 400, 0, 40),
    ]
    numbers = headline(totals, today)
    assert numbers.requests_today == 4
    assert numbers.tokens_month == 50 + 5 + 600 + 60 + 400 + 40
    assert (numbers.requests_window, numbers.errors_window) == (10, 1)
    assert numbers.success_rate == pytest.approx(0.9)
    assert headline([], today).success_rate is None
    assert totals_since(today) == datetime(2025, 3, 1, tzinfo=UTC)
    assert totals_since(date(2025, 3, 5)) == datetime(2025, 2, 4, tzinfo=UTC)
    assert window_days(today)[0] == date(2025, 3, 2)


def test_nice_axis_and_compact_numbers() -> None:
    assert [nice_ceiling(v) for v in (0, 1, 3, 7, 11, 24, 26, 99, 4000)] == [
        1,
        1,
        5,
        10,
        20,
        25,
        50,
        100,
        5000,
    ]
    assert [compact(n) for n in (0, 999, 1000, 1250, 2_500_000, 3_000_000_000)] == [
        "0",
        "999",
        "1k",
        "1.2k",
        "2.5M",
        "3B",
    ]


def test_bar_chart_stacks_series_and_skips_empty_segments() -> None:
    days = window_days(date(2025, 3, 10), 3)
    chart = bar_chart(days, [[0, 30, 10], [0, 10, 0]])
    assert [b.values for b in chart.bars] == [(0, 0), (30, 10), (10, 0)]
    assert chart.bars[0].segments == () and chart.total == 50
    low, high = chart.bars[1].segments
    assert low.series == 0 and high.series == 1
    assert high.y + high.height == pytest.approx(low.y)  # stacked on top
    assert low.y + low.height == pytest.approx(chart.baseline)
    assert chart.baseline - high.y == pytest.approx(0.8 * (chart.baseline - chart.top))  # 40/50
    assert [t.label for t in chart.ticks] == ["0", "25", "50"]
    assert [label.text for label in chart.labels] == ["03-10"]
    assert bar_chart(days, [[0, 0, 0]]).empty


# ---- the store: daily sums, pages by cursor, filters, isolation ----------------------------


@pytest.fixture
async def logs(tmp_path: Path) -> AsyncIterator[tuple[RequestLogs, LogReader]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fourk.db'}"
    engine = create_engine(url)
    await migrate(engine)
    writer = RequestLogs(create_engine(url))
    yield writer, LogReader(engine)
    await writer.close()
    await engine.dispose()


async def test_daily_totals_are_per_utc_day_and_per_user(
    logs: tuple[RequestLogs, LogReader],
) -> None:
    writer, reader = logs
    day = date(2025, 3, 1)
    await writer.insert_many(
        [
            log_row("a", at(day) - timedelta(seconds=1)),  # Feb 28, 23:59:59
            log_row("b", at(day)),
            log_row("c", at(day, 60), status=429, error_code="rate_limited", output_tokens=0),
            log_row("d", at(day, 90), error_code="upstream_incomplete"),  # 200 but broken
            log_row("e", at(day, 5), user_id=2, input_tokens=9999),
            log_row("f", at(day - timedelta(days=40))),
        ]
    )
    totals = await reader.daily_totals(1, at(day - timedelta(days=30)))
    assert totals == [
        DayTotals(date(2025, 2, 28), 1, 0, 100, 50, 10),
        DayTotals(day, 3, 2, 300, 150, 20),
    ]


async def test_cursor_pages_walk_every_row_once_both_ways(
    logs: tuple[RequestLogs, LogReader],
) -> None:
    writer, reader = logs
    start = datetime(2025, 3, 1, tzinfo=UTC)
    rows = []
    for n in range(120):
        rows.append(log_row(f"mine-{n:03}", start + timedelta(minutes=n)))
        rows.append(log_row(f"other-{n:03}", start + timedelta(minutes=n), user_id=2))
    await writer.insert_many(rows)
    first = await reader.page(LogQuery(user_id=1))
    assert len(first.rows) == 50 and first.newer is None and first.older is not None
    assert first.rows[0].request_id == "mine-119"  # newest first
    second = await reader.page(LogQuery(user_id=1, before=first.older))
    third = await reader.page(LogQuery(user_id=1, before=second.older))
    assert (len(second.rows), len(third.rows)) == (50, 20)
    assert third.older is None and third.newer is not None
    seen = [r.request_id for page in (first, second, third) for r in page.rows]
    assert seen == [f"mine-{n:03}" for n in range(119, -1, -1)]
    back = await reader.page(LogQuery(user_id=1, after=third.newer))
    assert [r.id for r in back.rows] == [r.id for r in second.rows]
    assert back.newer == second.newer and back.older == second.older
    top = await reader.page(LogQuery(user_id=1, after=back.newer))
    assert [r.id for r in top.rows] == [r.id for r in first.rows] and top.newer is None


async def test_filters_by_key_model_status_and_dates(
    logs: tuple[RequestLogs, LogReader],
) -> None:
    writer, reader = logs
    day = date(2025, 3, 10)
    await writer.insert_many(
        [  # in the order they were written (ids follow it)
            log_row("old", at(day - timedelta(days=3)), key_id=1),
            log_row("ok-1", at(day, 1), key_id=1),
            log_row("ok-2", at(day, 2), key_id=2, model="sim-model"),
            log_row("429", at(day, 3), key_id=2, status=429, error_code="rate_limited"),
            log_row("404", at(day, 4), model="nope", status=404, error_code="model_not_found"),
            log_row("theirs", at(day, 5), user_id=2, key_id=9),
        ]
    )

    async def ids(**filters: object) -> list[str]:
        page = await reader.page(LogQuery(user_id=1, **filters))  # type: ignore[arg-type]
        return [r.request_id for r in page.rows]

    assert await ids() == ["404", "429", "ok-2", "ok-1", "old"]
    assert await ids(key_id=2) == ["429", "ok-2"]
    assert await ids(key_id=9) == []  # another user's key shows nothing
    assert await ids(model="sim-model") == ["ok-2"]
    assert await ids(status="ok") == ["ok-2", "ok-1", "old"]
    assert await ids(status="error") == ["404", "429"]
    assert await ids(status="429") == ["429"]
    assert await ids(status="model_not_found") == ["404"]
    assert await ids(since=at(day)) == ["404", "429", "ok-2", "ok-1"]
    assert await ids(until=at(day)) == ["old"]
    facets = await reader.facets(1, at(day - timedelta(days=30)))
    assert facets.models == ["gpt-5-codex", "nope", "sim-model"]
    assert facets.codes == ["404", "429", "model_not_found", "rate_limited"]


async def test_a_request_is_only_its_owners(logs: tuple[RequestLogs, LogReader]) -> None:
    writer, reader = logs
    await writer.insert_many([log_row("req-1", at(date(2025, 3, 1)), user_id=2)])
    assert await reader.entry(1, "req-1") is None
    entry = await reader.entry(2, "req-1")
    assert entry is not None and entry.created_at.tzinfo is not None and entry.stream is True


# ---- the pages -----------------------------------------------------------------------------


async def user_id(app: web.Application, username: str) -> int:
    user = await app[SERVICES].store.users.by_name(username)
    assert user is not None
    return user.id


async def seed(app: web.Application, rows: list[LogRow]) -> None:
    await app[SERVICES].store.logs.insert_many(rows)


def stat(page: str, name: str) -> str:
    found = re.search(rf'id="stat-{name}"[^>]*>([^<]*)<', page)
    assert found, name
    return found.group(1).strip()


async def test_overview_numbers_charts_and_last_requests(tmp_path: Path) -> None:
    async with dashboard(tmp_path) as (app, root, _):
        browser = Browser(root)
        await browser.sign_up("alice")
        me = await user_id(app, "alice")
        today = datetime.now(UTC).date()
        rows = [log_row(f"today-{n}", at(today, n), user_id=me) for n in range(3)]
        rows.append(log_row("fail", at(today, 9), user_id=me, status=502, error_code="upstream"))
        rows.append(log_row("yesterday", at(today - timedelta(days=1)), user_id=me))
        rows.append(log_row("long-ago", at(today - timedelta(days=45)), user_id=me))
        rows.append(log_row("not-mine", at(today, 20), user_id=me + 1000, input_tokens=7777))
        await seed(app, rows)
        status, page = await browser.get("/overview")
        assert status == 200
        assert stat(page, "requests-today") == "4"
        month = [r for r in rows if r.user_id == me and r.created_at.month == today.month]
        month = [r for r in month if r.created_at.year == today.year]
        tokens = sum(r.input_tokens + r.output_tokens for r in month)
        assert f'title="{tokens:,}"' in page
        assert stat(page, "success") == "80.0%"  # 4 of the 5 requests in the window worked
        assert page.count('<g class="day">') == 120  # 30 days × 4 charts (spend too)
        assert f"<title>{today.isoformat()}: 4 requests</title>" in page
        assert f"<title>{today.isoformat()}: 1 errors</title>" in page
        assert f"{today.isoformat()}: 400 input tokens, 40 output tokens" in page
        assert 'id="chart-spend"' in page and 'id="spend-placeholder"' not in page
        assert 'href="/logs/fail"' in page and 'href="/logs/long-ago"' in page  # last 10
        assert "not-mine" not in page
        assert "7,777" not in page
        await browser.close()


async def test_log_filters_cursor_and_htmx_fragment(tmp_path: Path) -> None:
    async with dashboard(tmp_path) as (app, root, _):
        browser = Browser(root)
        await browser.sign_up("alice")
        me = await user_id(app, "alice")
        start = datetime.now(UTC) - timedelta(hours=2)
        rows = [log_row(f"r-{n:02}", start + timedelta(minutes=n), user_id=me) for n in range(60)]
        rows[7] = log_row(
            "r-07", start + timedelta(minutes=7), user_id=me, status=429, error_code="rate_limited"
        )
        rows.append(log_row("theirs", start, user_id=me + 1000, key_id=77))
        await seed(app, rows)
        status, page = await browser.get("/logs")
        assert status == 200 and page.count("data-request-id=") == 50
        older = re.search(r'href="/logs\?before=(\d+)"', page)
        assert older and "?after=" not in page
        status, page = await browser.get(f"/logs?before={older.group(1)}")
        assert page.count("data-request-id=") == 10 and 'data-request-id="r-00"' in page
        assert re.search(r'href="/logs\?after=\d+"', page) and "?before=" not in page
        status, page = await browser.get("/logs?status=error")
        assert re.findall(r'data-request-id="([^"]+)"', page) == ["r-07"]
        status, page = await browser.get("/logs?key=77")  # not alice's key: no filter at all
        assert "theirs" not in page and page.count("data-request-id=") == 50
        headers = {"HX-Request": "true", "HX-Target": "log-table"}
        async with browser.session.get(
            root + "/logs?key=&model=&status=429&since=", headers=headers
        ) as response:
            assert response.headers["HX-Push-Url"] == "/logs?status=429"  # no empty fields
        status, fragment = await browser.get("/logs?status=429", headers=headers)
        assert status == 200 and not fragment.lstrip().startswith("<!doctype")
        assert fragment.lstrip().startswith('<div id="log-table"') and "r-07" in fragment
        restore = {**headers, "HX-History-Restore-Request": "true"}
        status, whole = await browser.get("/logs?status=429", headers=restore)
        assert whole.lstrip().startswith("<!doctype")
        await browser.close()


async def test_log_detail_and_who_may_see_it(tmp_path: Path) -> None:
    async with dashboard(tmp_path) as (app, root, admin_password):
        alice, admin = Browser(root), Browser(root)
        await alice.sign_up("alice")
        await admin.log_in("admin", admin_password)
        me, boss = await user_id(app, "alice"), await user_id(app, "admin")
        channel = app[SERVICES].directory.channels[0]
        now = datetime.now(UTC)
        await seed(
            app,
            [
                log_row(
                    "mine",
                    now,
                    user_id=me,
                    channel_id=channel.id,
                    status=502,
                    error_code="upstream_error",
                ),
                log_row("admins", now, user_id=boss, channel_id=channel.id),
            ],
        )
        status, page = await alice.get("/logs/mine")
        assert status == 200
        for text in ("upstream_error", "upstream said no", "321 ms", "1,234 ms", "0.171.0"):
            assert text in page, text
        assert "codex_exec" in page and channel.name not in page  # channels: admins only
        assert (await alice.get("/logs/admins"))[0] == 404
        assert (await alice.get("/logs/nothing-like-it"))[0] == 404
        status, page = await admin.get("/logs/admins")
        assert status == 200 and channel.name in page
        assert (await admin.get("/logs/mine"))[0] == 404  # the admin's log is theirs too
        status, page = await admin.get("/logs")
        assert "admins" in page and 'data-request-id="mine"' not in page
        await alice.close()
        await admin.close()


async def test_logged_out_visitors_go_to_login(tmp_path: Path) -> None:
    async with dashboard(tmp_path) as (_, root, _):
        browser = Browser(root)
        for path in ("/overview", "/logs", "/logs/anything"):
            async with browser.session.get(root + path, allow_redirects=False) as response:
                assert response.status == 303 and response.headers["Location"] == "/login"
        await browser.close()


# ---- Chinese -------------------------------------------------------------------------------

_T_CALL = re.compile(r"""\bt\(\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")


def template_strings() -> set[str]:
    files = [TEMPLATES / "base.html"]
    for area in ("auth", "keys", "overview", "logs"):
        files += sorted((TEMPLATES / area).glob("*.html"))
    found = set()
    for path in files:
        for literal in _T_CALL.findall(path.read_text(encoding="utf-8")):
            found.add(literal[1:-1].replace("\\\\", "\\").replace(f"\\{literal[0]}", literal[0]))
    for system in SYSTEMS:
        found |= {text for text in (system.label, system.shell, system.note) if text}
    return found


def test_every_string_of_these_pages_has_a_chinese_translation() -> None:
    catalog = Catalogs().strings("zh")  # every area's catalog (zh.json, zh.money.json, …)
    strings = template_strings()
    assert len(strings) > 100
    assert sorted(strings - catalog.keys()) == []
    for english in strings:
        placeholders = set(re.findall(r"\{(\w+)\}", english))
        assert set(re.findall(r"\{(\w+)\}", catalog[english])) == placeholders, english


async def test_the_language_switch_sets_a_cookie_and_pages_follow_it(tmp_path: Path) -> None:
    async with dashboard(tmp_path) as (_, root, _):
        browser = Browser(root)
        await browser.sign_up("alice")
        async with browser.session.get(
            root + "/lang/zh?next=/logs", allow_redirects=False
        ) as response:
            assert response.status == 303 and response.headers["Location"] == "/logs"
            assert "fourk_lang=zh" in response.headers["Set-Cookie"]
        status, page = await browser.get("/overview")
        assert (
            status == 200
            and "今日请求" in page
            and "每日请求数" in page
            and '<html lang="zh-CN">' in page
        )
        _, page = await browser.get("/logs")
        assert "请求日志" in page and "全部密钥" in page
        await browser.close()
