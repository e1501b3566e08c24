"""Driving the real Codex CLI (npm @openai/codex, pinned in tests/package.json)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import orjson

CODEX_BIN = Path(__file__).resolve().parent.parent / "node_modules" / ".bin" / "codex"


def codex_available() -> bool:
    return CODEX_BIN.exists()


def write_codex_home(home: Path, base_url: str, key: str, model: str = "gpt-5-codex") -> None:
    """Exactly the setup page's config.toml and auth.json."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        'model_provider = "OpenAI"\n'
        f'model = "{model}"\n'
        f'review_model = "{model}"\n'
        "\n"
        "[model_providers.OpenAI]\n"
        'name = "OpenAI"\n'
        f'base_url = "{base_url}"\n'
        'wire_api = "responses"\n'
        "requires_openai_auth = true\n"
    )
    (home / "auth.json").write_text(orjson.dumps({"OPENAI_API_KEY": key}).decode())


@dataclass
class CodexRun:
    returncode: int
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        """Everything Codex printed (with --json, errors arrive as stdout events)."""
        return self.stdout + self.stderr

    @property
    def messages(self) -> list[str]:
        """The agent's messages, in order."""
        return [
            str(e["item"]["text"])
            for e in self.events  # type: ignore[index]
            if e.get("type") == "item.completed" and e["item"].get("type") == "agent_message"
        ]  # type: ignore[union-attr]

    @property
    def events(self) -> list[dict[str, object]]:
        """The --json event lines."""
        out = []
        for line in self.stdout.splitlines():
            if line.startswith("{"):
                out.append(orjson.loads(line))
        return out


def run_codex(
    home: Path,
    workdir: Path,
    prompt: str,
    *,
    timeout: float = 90,
    json: bool = True,
    extra: tuple[str, ...] = (),
) -> CodexRun:
    workdir.mkdir(parents=True, exist_ok=True)
    args = [
        str(CODEX_BIN),
        "exec",
        "--skip-git-repo-check",
        "--dangerously-bypass-approvals-and-sandbox",
        *(("--json",) if json else ()),
        *extra,
        prompt,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CODEX_"))}
    env["CODEX_HOME"] = str(home)
    result = subprocess.run(
        args,
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return CodexRun(result.returncode, result.stdout, result.stderr)
