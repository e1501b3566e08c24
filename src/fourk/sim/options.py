"""The simulator's knobs, and their per-request overrides from `x-sim-*` headers (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fourk.sim.persona import PERSONA_NAMES

DEFAULT_MODELS = ("gpt-5-codex", "sim-model")
MAX_CHUNKS = 100_000


@dataclass(frozen=True, slots=True)
class SimOptions:
    """How the simulator behaves; every request may override the pacing by header."""

    ttft_ms: float = 0.0
    """Delay before the first event (headers go out at once)."""
    chunks: int = 8
    """Number of text deltas per message (text shorter than this is padded)."""
    gap_ms: float = 0.0
    """Delay between consecutive events."""
    models: tuple[str, ...] = DEFAULT_MODELS
    """What GET /models lists; requests for any model are answered."""
    cached_tokens: int = 0
    """Reported `input_tokens_details.cached_tokens` (capped at the input tokens)."""
    api_key: str | None = None
    """When set, requests must carry `Authorization: Bearer <api_key>` (or, on the Anthropic
    routes, `x-api-key: <api_key>`)."""
    persona: str = "echo"
    """Default persona: "echo" or "reasoner"."""
    coalesce: bool = True
    """With no gap between events, send back-to-back events in one write (far fewer
    syscalls under load); False writes every event on its own."""
    record_limit: int = 200
    """How many recent requests GET /_sim/requests keeps (0: record nothing)."""

    def __post_init__(self) -> None:
        if not 1 <= self.chunks <= MAX_CHUNKS:
            raise ValueError(f"chunks must be between 1 and {MAX_CHUNKS}")
        if self.ttft_ms < 0 or self.gap_ms < 0:
            raise ValueError("ttft_ms and gap_ms must be >= 0")
        if self.cached_tokens < 0 or self.record_limit < 0:
            raise ValueError("cached_tokens and record_limit must be >= 0")
        if self.persona not in PERSONA_NAMES:
            raise ValueError(f"persona must be one of {', '.join(PERSONA_NAMES)}")


@dataclass(frozen=True, slots=True)
class Pacing:
    """The knobs in force for one request."""

    ttft_ms: float
    gap_ms: float
    chunks: int
    persona: str


class PacingError(ValueError):
    """An `x-sim-*` header has a value the simulator cannot use."""


def decode_pacing(options: SimOptions, headers: Mapping[str, str]) -> Pacing:
    """The options, overridden by `x-sim-ttft-ms`, `x-sim-gap-ms`, `x-sim-chunks` and
    `x-sim-persona` when present. `headers` must look up lowercase names (a plain dict
    with lowercase keys, or aiohttp's case-insensitive headers)."""
    persona = headers.get("x-sim-persona", options.persona)
    if persona not in PERSONA_NAMES:
        raise PacingError(f"x-sim-persona must be one of {', '.join(PERSONA_NAMES)}")
    return Pacing(
        ttft_ms=_milliseconds(headers, "x-sim-ttft-ms", options.ttft_ms),
        gap_ms=_milliseconds(headers, "x-sim-gap-ms", options.gap_ms),
        chunks=_chunks(headers, options.chunks),
        persona=persona,
    )


def _milliseconds(headers: Mapping[str, str], name: str, default: float) -> float:
    raw = headers.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise PacingError(f"{name} must be a number of milliseconds") from None
    if not 0 <= value < float("inf"):
        raise PacingError(f"{name} must be >= 0")
    return value


def _chunks(headers: Mapping[str, str], default: int) -> int:
    raw = headers.get("x-sim-chunks")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise PacingError("x-sim-chunks must be an integer") from None
    if not 1 <= value <= MAX_CHUNKS:
        raise PacingError(f"x-sim-chunks must be between 1 and {MAX_CHUNKS}")
    return value
