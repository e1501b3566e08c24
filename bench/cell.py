"""One measured cell: a load.py run against one target, with the server metered around it.

The load generator runs as its own process in handshake mode: it warms up, says ``warm``,
waits; we read the server's CPU counters and let it go; while it runs we sample the server's
RSS every 50 ms; it says ``done``, waits; we let the server settle briefly (batched log writes
of the last requests belong to them), read the CPU counters again and collect its JSON.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import psutil

from targets import BENCH_DIR, BenchError, stop_process

SAMPLE_INTERVAL = 0.05
SETTLE = 0.25
PHASE_TIMEOUT = 180.0


@dataclass(frozen=True)
class LoadSpec:
    """What load.py should do."""

    url: str
    key: str
    model: str
    concurrency: int
    requests: int
    chunks: int

    def argv(self) -> list[str]:
        return [
            sys.executable,
            str(BENCH_DIR / "load.py"),
            *("--url", self.url, "--key", self.key, "--model", self.model),
            *("--chunks", str(self.chunks)),
            *("--concurrency", str(self.concurrency), "--requests", str(self.requests)),
            "--handshake",
            "--raw",
        ]


@dataclass(frozen=True)
class CellResult:
    """The load summary plus what the metered processes spent during the measured part."""

    load: dict[str, Any]
    server_cpu_s: float
    server_cpu_ticks_s: float
    upstream_cpu_s: float
    peak_rss_bytes: int


def cpu_seconds(process: psutil.Process) -> float:
    """On-CPU time of a process tree in nanosecond precision, from /proc/*/task/*/schedstat.

    Clock-tick counters (``cpu_ticks_seconds``) move in 10 ms steps, too coarse for a few
    hundred requests; schedstat does not. It misses threads that exited in between, so the
    tick count is kept beside it as a cross-check.
    """
    pids = [process.pid, *(child.pid for child in descendants(process))]
    total_ns = sum(task_cpu_ns(pid) for pid in pids)
    return total_ns / 1e9 if total_ns else cpu_ticks_seconds(process)


def task_cpu_ns(pid: int) -> int:
    total = 0
    for path in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        try:
            total += int(path.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total


def descendants(process: psutil.Process) -> list[psutil.Process]:
    try:
        children: list[psutil.Process] = process.children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return children


def cpu_ticks_seconds(process: psutil.Process) -> float:
    """User + system CPU of a process, its reaped children and its live descendants."""
    times = process.cpu_times()
    total: float = times.user + times.system + times.children_user + times.children_system
    for child in descendants(process):
        try:
            child_times = child.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += child_times.user + child_times.system
    return total


def rss_bytes(process: psutil.Process) -> int:
    """Resident memory of a process and its live descendants."""
    total: int = process.memory_info().rss
    for child in descendants(process):
        try:
            total += child.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def pump_lines(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    """Thread body: copy stdout lines into a queue; None marks the end."""
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


class LoadProcess:
    """A load.py child in handshake mode, read line by line without blocking the sampler."""

    def __init__(self, spec: LoadSpec, log: Path) -> None:
        self.log = log
        with log.open("ab") as sink:
            self.process = subprocess.Popen(
                spec.argv(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=sink,
                text=True,
                start_new_session=True,
            )
        self.lines: queue.Queue[str | None] = queue.Queue()
        assert self.process.stdout is not None
        reader = threading.Thread(
            target=pump_lines, args=(self.process.stdout, self.lines), daemon=True
        )
        reader.start()

    def next_line(self, timeout: float) -> str | None:
        """The next stdout line; '' when none came within ``timeout``; None at EOF."""
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            return ""

    def expect(self, word: str, deadline: float, on_tick: Callable[[], None] | None = None) -> str:
        """Wait for a line equal to ``word`` (or, for word '{', a JSON line), ticking meanwhile."""
        while time.monotonic() < deadline:
            line = self.next_line(SAMPLE_INTERVAL)
            if line is None:
                raise BenchError(f"load.py ended before {word!r}:\n{self.log.read_text()[-2000:]}")
            if line and (line == word or (word == "{" and line.startswith("{"))):
                return line
            if on_tick is not None:
                on_tick()
        raise BenchError(f"load.py did not say {word!r} in time")

    def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def close(self) -> None:
        stop_process(self.process)


class PeakRss:
    """Running maximum of a process tree's RSS."""

    def __init__(self, process: psutil.Process) -> None:
        self.process = process
        self.peak = 0

    def sample(self) -> None:
        self.peak = max(self.peak, rss_bytes(self.process))


def run_cell(spec: LoadSpec, server_pid: int, upstream_pid: int, log: Path) -> CellResult:
    """Run one load cell and meter ``server_pid`` (and the upstream's CPU) around it."""
    server, upstream = psutil.Process(server_pid), psutil.Process(upstream_pid)
    peak = PeakRss(server)
    load = LoadProcess(spec, log)
    try:
        load.expect("warm", time.monotonic() + PHASE_TIMEOUT)
        cpu0, up0 = cpu_seconds(server), cpu_seconds(upstream)
        ticks0 = cpu_ticks_seconds(server)
        peak.sample()
        load.go()
        load.expect("done", time.monotonic() + PHASE_TIMEOUT, peak.sample)
        time.sleep(SETTLE)
        cpu1, up1 = cpu_seconds(server), cpu_seconds(upstream)
        ticks1 = cpu_ticks_seconds(server)
        peak.sample()
        load.go()
        summary = json.loads(load.expect("{", time.monotonic() + 30))
        load.process.wait(timeout=10)
    finally:
        load.close()
    return CellResult(summary, cpu1 - cpu0, ticks1 - ticks0, up1 - up0, peak.peak)
