"""Scenarios (how the simulator paces its streams) and the targets started for them.

- **flood**: the simulator sends all events at once (ttft 0, gap 0). Every client waits on a
  busy CPU, so this measures throughput and CPU per request.
- **paced**: the simulator waits ``gap`` ms between events, as a real model does (10 ms: a fast
  model's 100 events a second). The machine is not saturated, so the time to first byte shows
  the latency a relay adds rather than a queue, and every event reaches the relay as its own
  chunk, as in production.

Each scenario gets its own simulator (and its own bare relay); fourk serves both through two
channels, told apart by model name, so one fourk process is measured in both. Each channel
serves two names: a free one (target ``fourk``) and a priced one (target ``fourk-money``, sent
with a key whose key and user have limits and money); see money.py. Two more channels per
scenario point at the same simulator's Chat Completions and Anthropic Messages routes and
serve the free name with a ``-chat`` / ``-anthropic`` suffix (targets ``fourk-chat`` and
``fourk-anthropic``): the same free key, every stream translated.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import money
import targets

TRANSLATED = {
    "fourk-chat": ("openai-chat", "-chat"),
    "fourk-anthropic": ("anthropic", "-anthropic"),
}
"""Target → (channel kind, model name suffix)."""

UNUSED_KEY = "sk-bench-unused"
"""Sent to the simulator and the bare relay (they ignore it)."""


@dataclass(frozen=True)
class Scenario:
    name: str
    model: str
    """A model name without a price: every target but fourk-money sends it."""
    paid_model: str
    """A model name with a price (a shipped one, or the bench sets one): fourk-money's."""
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
    key: str
    model: str
    """The model name sent."""


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
) -> list[Target]:
    """Start the simulators, bare relays and fourk the chosen targets need; the targets."""
    chosen: list[Target] = []
    sims: dict[str, targets.Server] = {}
    for scenario in scenarios:
        sim = targets.start_sim(stack, work, scenario.name, scenario.sim_args)
        sims[scenario.name] = sim
        announce(f"sim ({scenario.name})", sim)
        unused = (UNUSED_KEY, scenario.model)
        if "direct" in names:
            direct = Target("direct", scenario, sim.base_url, sim.pid, sim.pid, *unused)
            chosen.append(direct)
        if "bare" in names:
            bare = targets.start_bare(stack, work, scenario.name, sim.base_url)
            announce(f"bare relay ({scenario.name})", bare)
            chosen.append(Target("bare", scenario, bare.base_url, bare.pid, sim.pid, *unused))
    if {"fourk", "fourk-money", *TRANSLATED} & set(names):
        chosen += start_fourk_targets(stack, work, scenarios, names, fourk_env, sims)
    order = {name: index for index, name in enumerate(names)}
    chosen.sort(key=lambda t: (scenarios.index(t.scenario), order[t.name]))
    return chosen


def start_fourk_targets(
    stack: ExitStack,
    work: Path,
    scenarios: Sequence[Scenario],
    names: Sequence[str],
    fourk_env: dict[str, str],
    sims: dict[str, targets.Server],
) -> list[Target]:
    """One fourk process, set up for both principals; a target per chosen name and scenario."""
    data_dir = targets.fourk_data_dir(work)
    channels = [(s.name, sims[s.name].base_url, (s.model, s.paid_model)) for s in scenarios]
    targets.prepare_fourk(data_dir, channels)
    for scenario in scenarios:
        url = sims[scenario.name].base_url
        for kind, suffix in TRANSLATED.values():
            targets.add_channel(data_dir, kind, url, scenario.model + suffix)
    free = [s.model for s in scenarios]
    free += [s.model + suffix for s in scenarios for _, suffix in TRANSLATED.values()]
    keys = money.prepare_principals(data_dir, free, [s.paid_model for s in scenarios])
    fourk = targets.start_fourk(stack, work, data_dir, fourk_env)
    announce("fourk", fourk)
    chosen = []
    for scenario in scenarios:
        where = (scenario, fourk.base_url, fourk.pid, sims[scenario.name].pid)
        if "fourk" in names:
            chosen.append(Target("fourk", *where, keys.free_key, scenario.model))
        if "fourk-money" in names:
            chosen.append(Target("fourk-money", *where, keys.money_key, scenario.paid_model))
        for name, (_, suffix) in TRANSLATED.items():
            if name in names:
                chosen.append(Target(name, *where, keys.free_key, scenario.model + suffix))
    return chosen


def announce(what: str, server: targets.Server) -> None:
    targets.log(f"{what} ready at {server.base_url} (pid {server.pid})")
