"""Fold the measured cells into one row per (target, concurrency), the ratios and the floors."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cell import CellResult
from load import percentile

CPU_RATIO_FLOOR = 2.0
"""fourk's CPU per streamed request may be at most this many times the bare relay's."""
MONEY_RATIO_FLOOR = 1.2
TRANSLATED_RATIO_FLOOR = 2.0
"""CPU per translated stream (Chat or Anthropic channel) over a passed-through one."""
TRANSLATED_TARGETS = ("fourk-chat", "fourk-anthropic")
"""With billing and limits on (fourk-money), at most this many times fourk's without them."""
ADDED_TTFB_FLOOR_MS = 2.0
"""fourk may add at most this much to the median time to first byte ..."""
ADDED_TTFB_CONCURRENCY = 16
"""... at this concurrency."""


@dataclass(frozen=True)
class Cell:
    """One measured run: which scenario and target, which concurrency and round, the result."""

    scenario: str
    target: str
    concurrency: int
    round: int
    result: CellResult


@dataclass
class Row:
    """All rounds of one (scenario, target, concurrency) folded together."""

    scenario: str
    target: str
    concurrency: int
    requests: int = 0
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0
    cpu_s: float = 0.0
    cpu_ticks_s: float = 0.0
    upstream_cpu_s: float = 0.0
    peak_rss_bytes: int = 0
    deltas: set[int] = field(default_factory=set)
    ttfb_ms: list[float] = field(default_factory=list)
    total_ms: list[float] = field(default_factory=list)

    def add(self, result: CellResult) -> None:
        load = result.load
        self.requests += load["requests"]
        self.ok += load["ok"]
        self.errors.update(load["errors"])
        self.elapsed_s += load["elapsed_s"]
        self.cpu_s += result.server_cpu_s
        self.cpu_ticks_s += result.server_cpu_ticks_s
        self.upstream_cpu_s += result.upstream_cpu_s
        self.peak_rss_bytes = max(self.peak_rss_bytes, result.peak_rss_bytes)
        if load["ok"]:
            self.deltas.update((load["deltas_min"], load["deltas_max"]))
        self.ttfb_ms.extend(load["raw"]["ttfb_ms"])
        self.total_ms.extend(load["raw"]["total_ms"])

    @property
    def failures(self) -> int:
        return self.requests - self.ok

    @property
    def rps(self) -> float:
        return self.ok / self.elapsed_s if self.elapsed_s else 0.0

    @property
    def cpu_us(self) -> float:
        return self.cpu_s / self.ok * 1e6 if self.ok else math.nan

    @property
    def upstream_cpu_us(self) -> float:
        return self.upstream_cpu_s / self.ok * 1e6 if self.ok else math.nan

    def ttfb(self, pct: float) -> float:
        return percentile(self.ttfb_ms, pct)

    def total(self, pct: float) -> float:
        return percentile(self.total_ms, pct)

    def summary(self, direct: Row | None) -> dict[str, Any]:
        """The row as JSON-ready numbers (added TTFB relative to ``direct``)."""
        return {
            "scenario": self.scenario,
            "target": self.target,
            "concurrency": self.concurrency,
            "requests": self.requests,
            "failures": self.failures,
            "errors": dict(self.errors),
            "rps": round(self.rps, 1),
            "ttfb_p50_ms": round(self.ttfb(50), 3),
            "ttfb_p99_ms": round(self.ttfb(99), 3),
            "added_ttfb_p50_ms": added(self, direct, 50),
            "added_ttfb_p99_ms": added(self, direct, 99),
            "total_p50_ms": round(self.total(50), 3),
            "total_p99_ms": round(self.total(99), 3),
            "cpu_us_per_request": round(self.cpu_us, 1),
            "cpu_us_per_request_from_ticks": round(self.cpu_ticks_s / max(self.ok, 1) * 1e6, 1),
            "sim_cpu_us_per_request": round(self.upstream_cpu_us, 1),
            "peak_rss_mb": round(self.peak_rss_bytes / 2**20, 1),
            "deltas_seen": sorted(self.deltas),
        }


def added(row: Row, direct: Row | None, pct: float) -> float | None:
    """Time to first byte ``row`` adds over ``direct`` at that percentile (None: no direct)."""
    if direct is None or row is direct:
        return None
    return round(row.ttfb(pct) - direct.ttfb(pct), 3)


Key = tuple[str, str, int]
"""(scenario, target, concurrency)"""


def fold(cells: Iterable[Cell]) -> dict[Key, Row]:
    rows: dict[Key, Row] = {}
    for cell in cells:
        key = (cell.scenario, cell.target, cell.concurrency)
        rows.setdefault(key, Row(*key)).add(cell.result)
    return rows


def summarize(rows: dict[Key, Row]) -> list[dict[str, Any]]:
    """One summary dict per row (in the order ``rows`` has them)."""
    out = []
    for (scenario, _, level), row in rows.items():
        out.append(row.summary(rows.get((scenario, "direct", level))))
    return out


def by_key(summaries: Sequence[dict[str, Any]]) -> dict[Key, dict[str, Any]]:
    return {(s["scenario"], s["target"], s["concurrency"]): s for s in summaries}


def cpu_ratios(
    summaries: Sequence[dict[str, Any]], target: str = "fourk", base: str = "bare"
) -> dict[str, dict[str, float | None]]:
    """``target``'s CPU per request over ``base``'s, per scenario and concurrency."""
    rows = by_key(summaries)
    ratios: dict[str, dict[str, float | None]] = {}
    for (scenario, name, level), row in rows.items():
        if name != target:
            continue
        under = rows.get((scenario, base, level))
        ratio = None
        if under and under["cpu_us_per_request"] > 0:
            ratio = round(row["cpu_us_per_request"] / under["cpu_us_per_request"], 2)
        ratios.setdefault(scenario, {})[str(level)] = ratio
    return ratios


def added_ttfb(
    summaries: Sequence[dict[str, Any]], target: str = "fourk"
) -> dict[str, float | None]:
    """``target``'s added TTFB p50 at the floor's concurrency, per scenario."""
    rows = by_key(summaries)
    return {
        scenario: row["added_ttfb_p50_ms"]
        for (scenario, name, level), row in rows.items()
        if name == target and level == ADDED_TTFB_CONCURRENCY
    }


def within(ratios: dict[str, dict[str, float | None]], limit: float) -> bool | None:
    """Every measured ratio at most ``limit`` (None: nothing measured)."""
    flat = [r for per_level in ratios.values() for r in per_level.values() if r is not None]
    return all(r <= limit for r in flat) if flat else None


def verdict(
    summaries: Sequence[dict[str, Any]], money_charged_usd: str | None = None
) -> dict[str, Any]:
    """The ratios that matter and whether the floors are met (None: not measured).

    The CPU floors hold for every measured concurrency. The first-byte floor is judged on
    the paced scenario when there is one: under flood the CPU is saturated and added time
    to first byte is a queue (c divided by throughput), which even the bare relay fails.
    """
    ratios = cpu_ratios(summaries)
    cpu_ok = within(ratios, CPU_RATIO_FLOOR)
    money_ratios = cpu_ratios(summaries, "fourk-money", "fourk")
    money_ok = within(money_ratios, MONEY_RATIO_FLOOR)
    translated = {name: cpu_ratios(summaries, name, "fourk") for name in TRANSLATED_TARGETS}
    translated = {name: r for name, r in translated.items() if r}
    translated_ok = within(
        {f"{n} {s}": v for n, r in translated.items() for s, v in r.items()},
        TRANSLATED_RATIO_FLOOR,
    )
    ttfb = added_ttfb(summaries)
    judged_on = "paced" if "paced" in ttfb else "flood"
    judged = ttfb.get(judged_on)
    ttfb_ok = judged <= ADDED_TTFB_FLOOR_MS if judged is not None else None
    failures = sum(s["failures"] for s in summaries)
    return {
        "fourk_cpu_over_bare": ratios,
        "fourk_money_cpu_over_fourk": money_ratios,
        "fourk_money_cpu_over_bare": cpu_ratios(summaries, "fourk-money", "bare"),
        "fourk_added_ttfb_p50_ms_at_c16": ttfb,
        "fourk_money_added_ttfb_p50_ms_at_c16": added_ttfb(summaries, "fourk-money"),
        "fourk_money_charged_usd": money_charged_usd,
        "translated_cpu_over_fourk": translated,
        "translated_floor": {"limit": TRANSLATED_RATIO_FLOOR, "met": translated_ok},
        "cpu_floor": {"limit": CPU_RATIO_FLOOR, "met": cpu_ok},
        "money_floor": {"limit": MONEY_RATIO_FLOOR, "met": money_ok},
        "ttfb_floor": {"limit_ms": ADDED_TTFB_FLOOR_MS, "judged_on": judged_on, "met": ttfb_ok},
        "failures": failures,
        "all_met": bool(
            cpu_ok and money_ok and ttfb_ok and translated_ok is not False and failures == 0
        ),
    }


COLUMNS = (
    ("scenario", "scenario", "{}"),
    ("target", "target", "{}"),
    ("c", "concurrency", "{}"),
    ("req/s", "rps", "{:.0f}"),
    ("ttfb p50", "ttfb_p50_ms", "{:.2f}"),
    ("ttfb p99", "ttfb_p99_ms", "{:.2f}"),
    ("+ttfb p50", "added_ttfb_p50_ms", "{:+.2f}"),
    ("+ttfb p99", "added_ttfb_p99_ms", "{:+.2f}"),
    ("total p50", "total_p50_ms", "{:.2f}"),
    ("CPU µs/req", "cpu_us_per_request", "{:.0f}"),
    ("sim µs/req", "sim_cpu_us_per_request", "{:.0f}"),
    ("RSS MB", "peak_rss_mb", "{:.1f}"),
    ("fail", "failures", "{}"),
)


def table(summaries: Sequence[dict[str, Any]]) -> str:
    """A fixed-width text table, one line per row."""
    cells = [[head for head, _, _ in COLUMNS]]
    for row in summaries:
        cells.append([cell_text(fmt, row[key]) for _, key, fmt in COLUMNS])
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(text.rjust(width) for text, width in zip(line, widths, strict=True))
        for line in cells
    )


def cell_text(fmt: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return fmt.format(value)


def verdict_text(result: dict[str, Any]) -> str:
    """The ratios and floors in a few lines."""
    added_text = ", ".join(
        f"{scenario} {number(value, '{:+.2f} ms')}"
        for scenario, value in result["fourk_added_ttfb_p50_ms_at_c16"].items()
    )
    cpu, money, ttfb = result["cpu_floor"], result["money_floor"], result["ttfb_floor"]
    charged = result["fourk_money_charged_usd"]
    return "\n".join(
        (
            f"fourk CPU/request ÷ bare CPU/request: {ratio_text(result['fourk_cpu_over_bare'])}",
            f"  floor ≤ {CPU_RATIO_FLOOR:.1f}x everywhere: {met_text(cpu['met'])}",
            "fourk-money CPU/request ÷ fourk CPU/request:"
            f" {ratio_text(result['fourk_money_cpu_over_fourk'])}",
            f"  billing+limits ≤ {MONEY_RATIO_FLOOR:.1f}x: {met_text(money['met'])}",
            f"fourk added TTFB p50 at c={ADDED_TTFB_CONCURRENCY}: {added_text or '-'}",
            f"  floor ≤ {ADDED_TTFB_FLOOR_MS:.0f} ms (judged on {ttfb['judged_on']}):"
            f" {met_text(ttfb['met'])}",
            *(
                f"{name} CPU/request ÷ fourk CPU/request: {ratio_text(ratios)}"
                for name, ratios in result["translated_cpu_over_fourk"].items()
            ),
            *(
                [
                    f"  translated ≤ {TRANSLATED_RATIO_FLOOR:.1f}x:"
                    f" {met_text(result['translated_floor']['met'])}"
                ]
                if result["translated_cpu_over_fourk"]
                else []
            ),
            *([f"fourk-money was charged ${charged}"] if charged is not None else []),
            f"failed requests: {result['failures']}",
        )
    )


def ratio_text(ratios: dict[str, dict[str, float | None]]) -> str:
    """``flood c=1: 1.50x, c=16: 1.40x; paced c=16: 1.30x`` (``-`` when empty)."""
    text = "; ".join(
        f"{scenario} "
        + ", ".join(f"c={level}: {number(ratio, '{:.2f}x')}" for level, ratio in per.items())
        for scenario, per in ratios.items()
    )
    return text or "-"


def number(value: float | None, fmt: str) -> str:
    return "-" if value is None else fmt.format(value)


def met_text(met: bool | None) -> str:
    return "not measured" if met is None else ("MET" if met else "NOT MET")


def write_json(directory: Path, stamp: str, document: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stamp}.json"
    path.write_text(json.dumps(document, indent=2, default=jsonable) + "\n")
    return path


def jsonable(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
