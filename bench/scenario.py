"""Scenarios (how the simulator paces its streams) and the targets started for them.

- **flood**: the simulator sends all events at once (ttft 0, gap 0). Every client waits on a
  busy CPU, so this measures throughput and CPU per request.
- **paced**: the simulator waits ``gap`` ms between events, as a real model does (10 ms: a fast
  model's 100 events a second). The machine is not saturated, so the time to first byte shows
  the latency a relay adds rather than a queue, and every event reaches the relay as its own
  chunk, as in production.

Each scenario gets its own simulator (and its own bare relay); fourk serves both through two
channels, told apart by model name, so one fourk process is measured in both.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import targets


@dataclass(frozen=True)
class Scenario:
    name: str
    model: str
    sim_args: tuple[str, ...]
    levels: tuple[int, ...]
    requests: int
    """Measured requests per cell, over all rounds."""
    warmup: int
    """Requests per target before measuring (not counted)."""


@dataclass(frozen=True)
class Target:
    """Where one scenario's load goes and which processes to meter."""

    name: str
    scenario: Scenario
    url: str
    pid: int
    sim_pid: int


def plan(chosen: Sequence[Target], rounds: int) -> list[tuple[int, int, Target]]:
    """(round, concurrency, target) in run order; the target order rotates at every step."""
    scenarios = list(dict.fromkeys(target.scenario for target in chosen))
    steps = []
    for round_ in range(rounds):
        step = round_
        for scenario in scenarios:
            group = [target for target in chosen if target.scenario == scenario]
            for level in scenario.levels:
                shift = step % len(group)
                steps += [(round_, level, target) for target in group[shift:] + group[:shift]]
                step += 1
    return steps


def start_targets(
    stack: ExitStack,
    work: Path,
    scenarios: Sequence[Scenario],
    names: Sequence[str],
    fourk_env: dict[str, str],
) -> tuple[list[Target], str | None]:
    """Start the simulators, bare relays and fourk the chosen targets need; targets and key."""
    chosen: list[Target] = []
    sims: dict[str, targets.Server] = {}
    for scenario in scenarios:
        sim = targets.start_sim(stack, work, scenario.name, scenario.sim_args)
        sims[scenario.name] = sim
        announce(f"sim ({scenario.name})", sim)
        if "direct" in names:
            chosen.append(Target("direct", scenario, sim.base_url, sim.pid, sim.pid))
        if "bare" in names:
            bare = targets.start_bare(stack, work, scenario.name, sim.base_url)
            announce(f"bare relay ({scenario.name})", bare)
            chosen.append(Target("bare", scenario, bare.base_url, bare.pid, sim.pid))
    key = None
    if "fourk" in names:
        data_dir = work / "fourk-data"
        channels = [(s.name, sims[s.name].base_url, s.model) for s in scenarios]
        key = targets.prepare_fourk(data_dir, channels)
        fourk = targets.start_fourk(stack, work, data_dir, fourk_env)
        announce("fourk", fourk)
        for scenario in scenarios:
            sim_pid = sims[scenario.name].pid
            chosen.append(Target("fourk", scenario, fourk.base_url, fourk.pid, sim_pid))
    order = {name: index for index, name in enumerate(names)}
    chosen.sort(key=lambda t: (scenarios.index(t.scenario), order[t.name]))
    return chosen, key


def announce(what: str, server: targets.Server) -> None:
    targets.log(f"{what} ready at {server.base_url} (pid {server.pid})")
