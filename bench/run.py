"""The benchmark, in one command: direct-to-simulator vs a bare aiohttp relay vs fourk
(free: no money, no limits) vs fourk-money (the same process: priced models, limits, a balance)
vs fourk-chat and fourk-anthropic (the same process, free, but the channel speaks Chat
Completions or Anthropic Messages: every stream is translated to the Responses events).

    .venv/bin/python bench/run.py            # full run (about three minutes)
    .venv/bin/python bench/run.py --quick    # smoke test
    .venv/bin/python bench/run.py --only fourk,bare --fourk-env FOURK_SOMETHING=0

Starts the simulators, the bare relays and fourk (in a temp data dir with a channel per
simulator and two users with a key each, see money.py), runs bench/load.py against each
target at each concurrency, interleaved over rounds so drifting noise hits every target
alike, meters each server's CPU and RSS, prints a table and the floors, and writes
bench/results/<timestamp>.json. Every process it starts is stopped on the way out, also on
Ctrl-C, SIGTERM or an error.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import money
import report
import targets
from cell import CellResult, LoadSpec, run_cell
from scenario import Scenario, Target, plan, start_targets
from targets import BenchError, log

TARGETS = ("direct", "bare", "fourk", "fourk-money", "fourk-chat", "fourk-anthropic")
WARMUP_CONCURRENCY = 16
FLOOD_MODELS = ("bench-flood", "sim-model")
"""(free, priced): sim-model has a shipped default price."""
PACED_MODELS = ("bench-paced", "bench-paced-paid")
"""(free, priced): the bench gives bench-paced-paid a price (money.BENCH_PRICE)."""


@dataclass(frozen=True)
class Outcome:
    """What a run measured and what it read from the processes before stopping them."""

    cells: list[report.Cell]
    lifetime_rss: dict[str, Any]
    money: dict[str, str | None] | None


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    add = parser.add_argument
    add("--requests", "-n", type=int, help="flood: measured requests per cell (default 4000)")
    add("--rounds", type=int, help="interleaved rounds each cell is split over (default 4)")
    add("--quick", action="store_true", help="smoke test: 200 requests a cell, one round")
    add("--concurrency", default="1,16,64", help="flood concurrency levels (default 1,16,64)")
    add("--only", default=",".join(TARGETS), help=f"subset of {','.join(TARGETS)}")
    add("--fourk-env", action="append", default=[], metavar="K=V", help="env for fourk serve")
    add("--sim-arg", action="append", default=[], metavar="ARG", help="extra `fourk sim` arg")
    add("--chunks", type=int, default=20, help="text deltas per stream (default 20)")
    add("--paced-gap-ms", type=float, default=10.0, help="paced: ms between events (0: skip)")
    add("--paced-concurrency", default="16", help="paced concurrency levels (default 16)")
    add("--paced-requests", type=int, help="paced: measured requests per cell (default 800)")
    add("--warmup", type=int, help="flood warm-up requests per target (default 500; paced: 1/5)")
    add("--results-dir", type=Path, default=targets.BENCH_DIR / "results")
    add("--keep", action="store_true", help="keep the temp dir (logs, fourk data)")
    add("--check", action="store_true", help="exit 1 when a floor is not met")
    args = parser.parse_args(argv)
    apply_defaults(args)
    return args


def apply_defaults(args: argparse.Namespace) -> None:
    quick = args.quick
    args.requests = args.requests or (200 if quick else 4000)
    args.paced_requests = args.paced_requests or (200 if quick else 800)
    args.rounds = args.rounds or (1 if quick else 4)
    args.warmup = args.warmup if args.warmup is not None else (100 if quick else 500)
    wanted = [name.strip() for name in args.only.split(",") if name.strip()]
    if set(wanted) - set(TARGETS) or not wanted:
        raise SystemExit(f"--only takes names from {','.join(TARGETS)}; got {args.only!r}")
    args.targets = [name for name in TARGETS if name in wanted]
    if any("=" not in pair for pair in args.fourk_env):
        raise SystemExit("--fourk-env takes K=V")
    args.fourk_environ = dict(pair.split("=", 1) for pair in args.fourk_env)


def levels(text: str) -> tuple[int, ...]:
    return tuple(int(level) for level in text.split(",") if level.strip())


def scenarios(args: argparse.Namespace) -> list[Scenario]:
    """flood always; paced unless --paced-gap-ms 0."""
    chunks = ("--chunks", str(args.chunks))
    flood_args = (*chunks, *args.sim_arg)
    flood_levels = levels(args.concurrency)
    flood = Scenario("flood", *FLOOD_MODELS, flood_args, flood_levels, args.requests, args.warmup)
    if args.paced_gap_ms <= 0:
        return [flood]
    paced_args = (*chunks, "--gap-ms", f"{args.paced_gap_ms:g}", *args.sim_arg)
    paced_levels = levels(args.paced_concurrency)
    paced = Scenario(
        "paced", *PACED_MODELS, paced_args, paced_levels, args.paced_requests, args.warmup // 5
    )
    return [flood, paced]


def load_spec(target: Target, level: int, requests: int, chunks: int) -> LoadSpec:
    url = f"{target.url}/v1/responses"
    return LoadSpec(url, target.key, target.model, level, requests, chunks)


def warm_up(chosen: Sequence[Target], args: argparse.Namespace, work: Path) -> None:
    """Warm every target (caches, first key lookup, pools); stop early if one is broken."""
    for target in chosen:
        warmup = target.scenario.warmup
        if warmup <= 0:
            continue
        spec = load_spec(target, WARMUP_CONCURRENCY, warmup, args.chunks)
        result = run_cell(spec, target.pid, target.sim_pid, work / "load.log")
        check_cell(target, result, args.chunks)
        log(f"warm-up {target.name} ({target.scenario.name}): {result.load['rps']:.0f} req/s")


def check_cell(target: Target, result: CellResult, chunks: int) -> None:
    """Stop on a target that fails everything or refuses anything (429: the setup is wrong);
    warn on other partial failures or odd streams."""
    load, name = result.load, f"{target.name} ({target.scenario.name})"
    refused = {why: n for why, n in load["errors"].items() if why.startswith("status 429")}
    if refused:
        raise BenchError(
            f"{name}: {sum(refused.values())} requests refused {refused} (model"
            f" {target.model}): no request may be refused; fourk-money's balance, price"
            " or limits are set wrong, or a free model has a price"
        )
    if load["ok"] == 0:
        raise BenchError(f"{name}: every request failed: {load['errors']}")
    if load["failures"]:
        log(f"WARNING {name}: {load['failures']} failed requests: {load['errors']}")
    if (load["deltas_min"], load["deltas_max"]) != (chunks, chunks):
        seen = f"{load['deltas_min']}..{load['deltas_max']}"
        log(f"WARNING {name}: streams carried {seen} text deltas, expected {chunks}")


def measure(chosen: Sequence[Target], args: argparse.Namespace, work: Path) -> list[report.Cell]:
    steps = plan(chosen, args.rounds)
    cells = []
    for number, (round_, level, target) in enumerate(steps, start=1):
        per_round = math.ceil(target.scenario.requests / args.rounds)
        spec = load_spec(target, level, per_round, args.chunks)
        result = run_cell(spec, target.pid, target.sim_pid, work / "load.log")
        check_cell(target, result, args.chunks)
        cells.append(report.Cell(target.scenario.name, target.name, level, round_, result))
        log(f"[{number}/{len(steps)}] {progress(target, level, result)}")
    return cells


def progress(target: Target, level: int, result: CellResult) -> str:
    load = result.load
    cpu_us = result.server_cpu_s / load["ok"] * 1e6 if load["ok"] else math.nan
    return (
        f"{target.scenario.name:5} {target.name:11} c={level:<3} {load['rps']:7.0f} req/s"
        f"  ttfb p50 {load['ttfb_ms']['p50']:6.2f} ms  cpu {cpu_us:6.0f} µs/req"
    )


def lifetime_peak_rss_mb(pid: int) -> float | None:
    """VmHWM of a process (its peak RSS since start), from /proc."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def bench(args: argparse.Namespace, work: Path) -> Outcome:
    """Start everything, warm up, measure, stop everything: the cells, lifetime peak RSS and
    what fourk-money was charged."""
    with ExitStack() as stack:
        plan_ = scenarios(args)
        chosen = start_targets(stack, work, plan_, args.targets, args.fourk_environ)
        warm_up(chosen, args, work)
        cells = measure(chosen, args, work)
        lifetime = {f"{t.name} ({t.scenario.name})": lifetime_peak_rss_mb(t.pid) for t in chosen}
        charged = None
        if "fourk-money" in args.targets:
            time.sleep(1.0)  # the last charges are written with their log rows, in batches
            charged = money.spent(targets.fourk_data_dir(work))
    return Outcome(cells, lifetime, charged)


def ordered(rows: dict[report.Key, report.Row]) -> dict[report.Key, report.Row]:
    """Rows by scenario (as measured), then target (direct, bare, fourk), then concurrency."""
    scenario_order = list(dict.fromkeys(scenario for scenario, _, _ in rows))

    def rank(key: report.Key) -> tuple[int, int, int]:
        scenario, target, level = key
        return scenario_order.index(scenario), TARGETS.index(target), level

    return {key: rows[key] for key in sorted(rows, key=rank)}


def document(
    args: argparse.Namespace,
    started: datetime,
    summaries: list[dict[str, Any]],
    verdict: dict[str, Any],
    outcome: Outcome,
) -> dict[str, Any]:
    """The JSON written to bench/results/."""
    config = {key: value for key, value in vars(args).items() if key != "results_dir"}
    return {
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "config": config,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "rows": summaries,
        "verdict": verdict,
        "lifetime_peak_rss_mb": outcome.lifetime_rss,
        "fourk_money_charged": outcome.money,
        "cells": [cell_record(cell) for cell in outcome.cells],
    }


def cell_record(cell: report.Cell) -> dict[str, Any]:
    result = asdict(cell.result)
    result["load"] = {k: v for k, v in cell.result.load.items() if k != "raw"}
    where = {"scenario": cell.scenario, "target": cell.target, "concurrency": cell.concurrency}
    return {**where, "round": cell.round, **result}


def raise_interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM behaves like Ctrl-C, so every cleanup runs."""
    raise KeyboardInterrupt


def run_in_workdir(args: argparse.Namespace) -> Outcome | None:
    """``bench`` in a temp dir that is removed afterwards unless kept (or the run failed)."""
    work = Path(tempfile.mkdtemp(prefix="fourk-bench-"))
    keep = args.keep
    try:
        return bench(args, work)
    except BenchError as exc:
        keep = True
        log(f"bench failed: {exc}")
        return None
    finally:
        if keep:
            log(f"logs and data kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, raise_interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with it ignored
    started, began = datetime.now(UTC), time.monotonic()
    outcome = run_in_workdir(args)
    if outcome is None:
        return 2
    summaries = report.summarize(ordered(report.fold(outcome.cells)))
    charged = outcome.money["charged_usd"] if outcome.money else None
    verdict = report.verdict(summaries, charged)
    print(report.table(summaries))
    print()
    print(report.verdict_text(verdict))
    doc = document(args, started, summaries, verdict, outcome)
    path = report.write_json(args.results_dir, started.strftime("%Y%m%dT%H%M%SZ"), doc)
    log(f"\nwrote {path} ({time.monotonic() - began:.0f}s in all)")
    return 1 if args.check and not verdict["all_met"] else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted; every process the bench started has been stopped")
        sys.exit(130)
