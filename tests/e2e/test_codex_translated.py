"""The real Codex CLI 0.171 on models served by Chat Completions and Anthropic channels:
fourk translates every turn, runs Codex's apply_patch through a function-only upstream, and
emulates remote compaction (the setup page's provider is named "OpenAI", so Codex asks for
it) with a sealed summary the session then goes on with."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.support.codex import codex_available, run_codex, write_codex_home
from tests.support.processes import (
    Gateway,
    Proc,
    sim_control,
    sim_requests,
    start_protocol_gateway,
    start_sim,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not codex_available(), reason="run `npm ci --prefix tests` first"),
]

CHANNELS = {"deepseek-sim": "openai-chat", "claude-sim": "anthropic"}
UPSTREAM_PATHS = {"deepseek-sim": "/v1/chat/completions", "claude-sim": "/v1/messages"}


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proc]:
    proc = start_sim(tmp_path_factory.mktemp("csim"), "--chunks", "4")
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory, upstream: Proc) -> Iterator[Gateway]:
    running = start_protocol_gateway(tmp_path_factory.mktemp("cgw") / "data", upstream, CHANNELS)
    yield running
    running.server.stop()


@pytest.fixture(autouse=True)
def _clean(upstream: Proc) -> None:
    sim_control(upstream, "DELETE", "/_sim/faults")
    sim_control(upstream, "DELETE", "/_sim/requests")


def codex_home(home: Path, gw: Gateway, model: str, compact_limit: int | None = None) -> Path:
    """The setup page's files, plus a local model catalog entry so Codex offers its freeform
    apply_patch tool and knows a context window (as a user of a non-OpenAI model would)."""
    write_codex_home(home, gw.url, gw.key, model=model)
    catalog = {
        "models": [
            {
                "slug": model,
                "display_name": model,
                "supported_reasoning_levels": [],
                "shell_type": "unified_exec",
                "visibility": "list",
                "supported_in_api": True,
                "priority": 1,
                "base_instructions": "You are Codex, a coding agent.",
                "support_verbosity": False,
                "truncation_policy": {"mode": "tokens", "limit": 10000},
                "experimental_supported_tools": [],
                "apply_patch_tool_type": "freeform",
                "context_window": 200000,
            }
        ]
    }
    (home / "catalog.json").write_bytes(orjson.dumps(catalog))
    config = (home / "config.toml").read_text()
    top = f'model_catalog_json = "{home / "catalog.json"}"\n'
    if compact_limit is not None:
        top += f"model_auto_compact_token_limit = {compact_limit}\n"
    (home / "config.toml").write_text(top + config)
    return home


def upstream_bodies(upstream: Proc, model: str) -> list[dict[str, object]]:
    return [
        r["body"]  # type: ignore[misc]
        for r in sim_requests(upstream)
        if r["path"] == UPSTREAM_PATHS[model]
    ]


@pytest.mark.parametrize("model", list(CHANNELS))
def test_codex_runs_a_command_on_a_translated_channel(
    gw: Gateway, upstream: Proc, tmp_path: Path, model: str
) -> None:
    before = len(gw.logs())
    home = codex_home(tmp_path / "home", gw, model)
    run = run_codex(home, tmp_path / "work", "run: echo translated-ok-4096")
    assert run.returncode == 0, run.text
    commands = [
        e["item"]
        for e in run.events
        if e.get("type") == "item.completed" and e["item"].get("type") == "command_execution"  # type: ignore[union-attr]
    ]
    assert commands and "translated-ok-4096" in commands[0]["aggregated_output"]  # type: ignore[index]
    assert run.messages and "translated-ok-4096" in run.messages[-1]
    bodies = upstream_bodies(upstream, model)
    assert len(bodies) == 2  # the call, then its output back in the upstream's own shape
    assert "translated-ok-4096" in orjson.dumps(bodies[1]).decode()
    rows = gw.logs()[before:]
    assert [row["status"] for row in rows] == [200, 200]
    assert all(int(str(row["cost"])) > 0 for row in rows)


@pytest.mark.parametrize("model", list(CHANNELS))
def test_codex_apply_patch_edits_a_file_through_a_function_only_upstream(
    gw: Gateway, upstream: Proc, tmp_path: Path, model: str
) -> None:
    home = codex_home(tmp_path / "home", gw, model)
    work = tmp_path / "work"
    run = run_codex(home, work, "patch: hello.txt written through the hub")
    assert run.returncode == 0, run.text
    assert (work / "hello.txt").read_text().strip() == "written through the hub"
    first = upstream_bodies(upstream, model)[0]
    names = orjson.dumps(first["tools"]).decode()
    assert "apply_patch" in names  # Codex's custom tool, offered as a function
    assert "web_search" not in names  # a hosted tool the upstream cannot run


@pytest.mark.parametrize("model", list(CHANNELS))
def test_codex_compacts_and_the_session_goes_on(
    gw: Gateway, upstream: Proc, tmp_path: Path, model: str
) -> None:
    # Codex's own prompt and tools are ~5,300 tokens here; a command printing 8,000 bytes
    # takes the session over the limit, and compaction drops that output again (a limit
    # below the bare prompt would make Codex compact forever).
    home = codex_home(tmp_path / "home", gw, model, compact_limit=6300)
    work = tmp_path / "work"
    first = run_codex(home, work, "run: echo pomelo; head -c 8000 /dev/zero | tr '\\0' x")
    assert first.returncode == 0, first.text
    second = run_codex(home, work, "what was the code word?", extra=("resume", "--last"))
    assert second.returncode == 0, second.text
    text = [orjson.dumps(body).decode() for body in upstream_bodies(upstream, model)]
    summaries = [i for i, t in enumerate(text) if "CONTEXT CHECKPOINT COMPACTION" in t]
    assert summaries, "Codex never compacted"
    after = text[summaries[0] + 1 :]
    assert after, "the session did not go on after compaction"
    # the sealed summary came back and was opened into text the upstream could read
    assert any(
        "Summary of the earlier conversation" in t
        and "Summary of the conversation so far" in t
        and "pomelo" in t
        for t in after
    )
    assert "x" * 4000 not in after[-1]  # the long output was compacted away
    assert second.messages
