"""The processes under test: the simulator, the bare relay and fourk. Start, wait, stop.

Every process runs in its own session (so a Ctrl-C in the terminal reaches only run.py, which
then stops them in order), writes to a log file in the run's temp dir, and every wait has a
deadline.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
START_TIMEOUT = 30.0
CLI_TIMEOUT = 60.0
STOP_TIMEOUT = 5.0


class BenchError(RuntimeError):
    """A step of the run failed; the message says which and shows the log tail."""


@dataclass(frozen=True)
class Server:
    """A started server process and where to reach it."""

    name: str
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries only the report."""
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def fourk_env(data_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for `python -m fourk ...`: the repo's src on the path, the data dir set."""
    env = dict(os.environ)
    src = str(REPO_DIR / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    env["FOURK_DATA_DIR"] = str(data_dir)
    env.update(extra or {})
    return env


def log_tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def stop_process(process: subprocess.Popen[Any]) -> None:
    """SIGTERM, then SIGKILL if it does not exit in time. Only ever our own child."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


def spawn(
    stack: ExitStack, name: str, argv: Sequence[str], log: Path, env: Mapping[str, str]
) -> subprocess.Popen[bytes]:
    """Start a process whose stop is registered on ``stack`` before anything else happens."""
    with log.open("wb") as sink:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=dict(env),
            start_new_session=True,
        )
    stack.callback(stop_process, process)
    return process


def http_status(url: str) -> int | None:
    """Status of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return None


def wait_ready(server: Server, path: str, want_200: bool, timeout: float = START_TIMEOUT) -> None:
    """Poll ``GET path`` until it answers (200 when ``want_200``), the process dies, or timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"{server.name} exited early:\n{log_tail(server.log)}")
        status = http_status(server.base_url + path)
        if status is not None and (status == 200 or not want_200):
            return
        time.sleep(0.1)
    raise BenchError(f"{server.name} not ready after {timeout:.0f}s:\n{log_tail(server.log)}")


def start_sim(stack: ExitStack, work: Path, label: str, extra_args: Sequence[str]) -> Server:
    port = free_port()
    argv = [sys.executable, "-m", "fourk", "sim", "--host", "127.0.0.1", "--port", str(port)]
    log_file = work / f"sim-{label}.log"
    env = fourk_env(work / "sim-data")
    process = spawn(stack, f"sim ({label})", [*argv, *extra_args], log_file, env)
    server = Server(f"sim ({label})", process, f"http://127.0.0.1:{port}", log_file)
    wait_ready(server, "/_sim/health", want_200=True)
    return server


def start_bare(stack: ExitStack, work: Path, label: str, upstream: str) -> Server:
    port = free_port()
    argv = [sys.executable, str(BENCH_DIR / "bare_relay.py"), "--port", str(port)]
    argv += ["--upstream", upstream]
    log_file = work / f"bare-{label}.log"
    process = spawn(stack, f"bare ({label})", argv, log_file, dict(os.environ))
    server = Server(f"bare ({label})", process, f"http://127.0.0.1:{port}", log_file)
    wait_ready(server, "/", want_200=False)
    return server


def fourk_cli(data_dir: Path, args: Sequence[str]) -> str:
    """Run one `python -m fourk ...` command to completion; its stdout, stripped."""
    argv = [sys.executable, "-m", "fourk", *args]
    try:
        done = subprocess.run(
            argv,
            env=fourk_env(data_dir),
            capture_output=True,
            timeout=CLI_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"`fourk {' '.join(args)}` timed out after {CLI_TIMEOUT:.0f}s") from exc
    if done.returncode != 0:
        output = (done.stdout + done.stderr).decode(errors="replace")
        raise BenchError(f"`fourk {' '.join(args)}` failed ({done.returncode}):\n{output}")
    return done.stdout.decode().strip()


def fourk_data_dir(work: Path) -> Path:
    return work / "fourk-data"


def prepare_fourk(data_dir: Path, channels: Sequence[tuple[str, str, Sequence[str]]]) -> None:
    """Create the DB and one channel per (name, simulator URL, models it serves)."""
    where = ["--data-dir", str(data_dir)]
    fourk_cli(data_dir, ["migrate", *where])
    for name, sim_url, models in channels:
        channel = ["channel", "add", f"sim-{name}", "--kind", "openai-responses"]
        channel += ["--base-url", f"{sim_url}/v1", "--models", ",".join(models), "--no-api-key"]
        fourk_cli(data_dir, [*channel, *where])


def add_channel(data_dir: Path, kind: str, sim_url: str, model: str) -> None:
    """A channel of `kind` at the simulator's route for that protocol, serving `model`."""
    base = sim_url if kind == "anthropic" else f"{sim_url}/v1"
    channel = ["channel", "add", f"sim-{kind}-{model}", "--kind", kind, "--base-url", base]
    channel += ["--models", model, "--no-api-key", "--data-dir", str(data_dir)]
    fourk_cli(data_dir, channel)


def start_fourk(
    stack: ExitStack, work: Path, data_dir: Path, extra_env: Mapping[str, str]
) -> Server:
    port = free_port()
    argv = [sys.executable, "-m", "fourk", "serve", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--data-dir", str(data_dir)]
    log_file = work / "fourk.log"
    process = spawn(stack, "fourk", argv, log_file, fourk_env(data_dir, extra_env))
    server = Server("fourk", process, f"http://127.0.0.1:{port}", log_file)
    wait_ready(server, "/healthz", want_200=True)
    return server
