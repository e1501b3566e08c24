"""Shared fixtures: a real simulator process and a real fourk process wired to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import Gateway, Proc, fourk_cli, sim_control, start_fourk, start_sim

MODELS = "gpt-5-codex,sim-model"


def make_gateway(
    tmp: Path,
    sims: list[Proc],
    env: dict[str, str] | None = None,
    channel_args: list[list[str]] | None = None,
) -> Gateway:
    """fourk in a new data dir, user alice with one key, one channel per simulator."""
    data_dir = tmp / "data"
    fourk_cli(data_dir, "migrate")
    fourk_cli(data_dir, "user", "create", "alice")
    fourk_cli(data_dir, "user", "topup", "alice", "1000", "--reason", "tests")
    key = fourk_cli(data_dir, "key", "create", "--user", "alice").stdout.strip()
    for index, sim in enumerate(sims):
        extra = channel_args[index] if channel_args else []
        fourk_cli(
            data_dir,
            "channel",
            "add",
            f"sim{index}",
            "--kind",
            "openai-responses",
            "--base-url",
            sim.url + "/v1",
            "--models",
            MODELS,
            "--no-api-key",
            "--forward-header",
            "x-sim-gap-ms",
            "--forward-header",
            "x-sim-chunks",
            "--forward-header",
            "x-sim-ttft-ms",
            *extra,
        )
    server = start_fourk(data_dir, env)
    return Gateway(data_dir=data_dir, server=server, key=key, sims=sims)


@pytest.fixture(scope="session")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proc]:
    proc = start_sim(tmp_path_factory.mktemp("sim"), "--chunks", "8")
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory, sim: Proc) -> Iterator[Gateway]:
    running = make_gateway(tmp_path_factory.mktemp("gw"), [sim])
    yield running
    running.server.stop()


@pytest.fixture(autouse=True)
def _clean_sim(request: pytest.FixtureRequest) -> None:
    """Faults queued by one test must not leak into the next."""
    if "sim" in request.fixturenames or "gateway" in request.fixturenames:
        proc = request.getfixturevalue("sim")
        sim_control(proc, "DELETE", "/_sim/faults")
        sim_control(proc, "DELETE", "/_sim/requests")
