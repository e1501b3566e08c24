"""Starting real fourk and simulator processes for tests, and cleaning them up."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import orjson


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fourk_cli(
    data_dir: Path,
    *args: str,
    env: dict[str, str] | None = None,
    input_text: str | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m fourk ARGS --data-dir D` and return the finished process."""
    result = subprocess.run(
        [sys.executable, "-m", "fourk", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        input=input_text,
        env={**os.environ, **(env or {})},
    )
    if check and result.returncode != 0:
        raise AssertionError(f"fourk {' '.join(args)} failed: {result.stderr}")
    return result


def wait_http(url: str, deadline: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    raise AssertionError(f"{url} did not come up")


@dataclass
class Proc:
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def start(
    args: list[str], log_path: Path, health_path: str, port: int, env: dict[str, str] | None = None
) -> Proc:
    handle = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "fourk", *args],
        stdout=handle,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    handle.close()
    running = Proc(proc, port, log_path)
    try:
        wait_http(running.url + health_path, time.monotonic() + 30, proc)
    except AssertionError:
        running.stop()
        raise AssertionError(f"{args[0]} did not start:\n{running.log()}") from None
    return running


def start_sim(tmp: Path, *extra: str) -> Proc:
    port = free_port()
    return start(
        ["sim", "--port", str(port), *extra], tmp / f"sim-{port}.log", "/_sim/health", port
    )


def start_fourk(data_dir: Path, env: dict[str, str] | None = None, *extra: str) -> Proc:
    port = free_port()
    return start(
        ["serve", "--port", str(port), "--data-dir", str(data_dir), *extra],
        data_dir.parent / f"fourk-{port}.log",
        "/healthz",
        port,
        env,
    )


@dataclass
class Gateway:
    """A running fourk with one user, one key, and channels to simulators."""

    data_dir: Path
    server: Proc
    key: str
    user: str = "alice"
    sims: list[Proc] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return fourk_cli(self.data_dir, *args, check=check)

    def logs(self) -> list[dict[str, object]]:
        """Every request-log row, oldest first (read straight from the database)."""
        with sqlite3.connect(self.data_dir / "fourk.db") as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute("SELECT * FROM request_logs ORDER BY id")]


def sim_control(sim: Proc, method: str, path: str, payload: object | None = None) -> object:
    data = orjson.dumps(payload) if payload is not None else None
    request = urllib.request.Request(
        sim.url + path, data=data, method=method, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return orjson.loads(body) if body else None


def sim_requests(sim: Proc) -> list[dict[str, object]]:
    """What the simulator received, oldest first."""
    answer = sim_control(sim, "GET", "/_sim/requests")
    assert isinstance(answer, dict)
    requests = answer["requests"]
    assert isinstance(requests, list)
    return requests


def start_protocol_gateway(data_dir: Path, upstream: Proc, kinds: dict[str, str]) -> Gateway:
    """fourk with user alice ($100, one key) and, per model → channel kind, a priced channel
    at the simulator's route for that kind's protocol (Anthropic's base URL is the root)."""
    fourk_cli(data_dir, "migrate")
    fourk_cli(data_dir, "user", "create", "alice")
    fourk_cli(data_dir, "user", "topup", "alice", "100", "--reason", "tests")
    key = fourk_cli(data_dir, "key", "create", "--user", "alice").stdout.strip()
    for model, kind in kinds.items():
        base = upstream.url if kind == "anthropic" else upstream.url + "/v1"
        fourk_cli(data_dir, "channel", "add", f"ch-{kind}-{model}", "--kind", kind,
                  "--base-url", base, "--models", model, "--no-api-key")  # fmt: skip
        fourk_cli(data_dir, "price", "set", model, "--input", "1", "--cached", "0.5",
                  "--output", "4")  # fmt: skip
    server = start_fourk(data_dir)
    return Gateway(data_dir=data_dir, server=server, key=key, sims=[upstream])
