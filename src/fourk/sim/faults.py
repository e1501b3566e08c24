"""Injected upstream faults: their specs, their JSON form, and a FIFO queue of them.

A fault is queued (by a test through `POST /_sim/faults`, or in code) and consumed by the
next request whose model matches its filter, `times` times, on whichever route it came
(`/responses`, `/chat/completions`, `/messages`). Kinds:

- `status`: answer HTTP `status` with optional `Retry-After`, and `body` when given, else
  "simulated upstream error" in the route's own error shape (OpenAI's, or Anthropic's
  with the type Anthropic pairs with that status).
- `delay_headers`: wait `seconds` before answering at all.
- `stall`: after `after` events, send nothing for `seconds`, then carry on.
- `cut`: after `after` events, drop the connection (no terminal event).
- `malformed`: after `after` events, send `data: {not json` (on /messages with an
  `event: content_block_delta` line), then carry on.
- `no_completed`: end cleanly without the terminal events: response.completed
  (Responses); the finish_reason chunk, usage chunk and [DONE] (Chat); message_delta and
  message_stop (Anthropic).
- `failed`: the stream's first event, then the protocol's error: response.failed with
  `code` and `message` (Responses), a `{"error": {...}}` chunk (Chat), an `error` event
  (Anthropic; its type from `error_type` or `code`, else `api_error`).

"After N events" fires at the end of the stream when it has fewer than N events.
On a `stream: false` request, `stall` waits before answering, `cut` drops the connection,
`malformed` answers a body that is not JSON, `failed` answers HTTP 500 with the error, and
`no_completed` changes nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import ClassVar

from fourk.sim.responses_wire import JSONObject, openai_error

LONG_STALL = 3600.0


def default_error_body() -> JSONObject:
    return openai_error("simulated upstream error")


@dataclass(frozen=True, slots=True)
class StatusFault:
    status: int
    retry_after: float | None = None
    body: JSONObject = field(default_factory=default_error_body)
    headers: dict[str, str] = field(default_factory=dict)
    model: str | None = None
    times: int = 1
    kind: ClassVar[str] = "status"


@dataclass(frozen=True, slots=True)
class DelayHeadersFault:
    seconds: float
    model: str | None = None
    times: int = 1
    kind: ClassVar[str] = "delay_headers"


@dataclass(frozen=True, slots=True)
class StallFault:
    after: int = 0
    seconds: float = LONG_STALL
    model: str | None = None
    times: int = 1
    kind: ClassVar[str] = "stall"


@dataclass(frozen=True, slots=True)
class CutFault:
    after: int = 0
    model: str | None = None
    times: int = 1
    kind: ClassVar[str] = "cut"


@dataclass(frozen=True, slots=True)
class MalformedFault:
    after: int = 0
    model: str | None = None
    times: int = 1
    kind: ClassVar[str] = "malformed"


@dataclass(frozen=True, slots=True)
class NoCompletedFault:
    model: str | None = None
    times: int = 1
    kind: ClassVar[str] = "no_completed"


@dataclass(frozen=True, slots=True)
class FailedFault:
    code: str = "server_error"
    message: str = "simulated upstream failure"
    error_type: str | None = None
    model: str | None = None
    times: int = 1
    kind: ClassVar[str] = "failed"


Fault = (
    StatusFault
    | DelayHeadersFault
    | StallFault
    | CutFault
    | MalformedFault
    | NoCompletedFault
    | FailedFault
)

FAULT_KINDS: tuple[type[Fault], ...] = (
    StatusFault,
    DelayHeadersFault,
    StallFault,
    CutFault,
    MalformedFault,
    NoCompletedFault,
    FailedFault,
)


class FaultSpecError(ValueError):
    """A fault's JSON does not describe a valid fault; the message says why."""


def decode_fault(spec: object) -> Fault:
    """A fault from its JSON object, e.g. {"kind": "status", "status": 503, "retry_after": 1}."""
    if not isinstance(spec, Mapping):
        raise FaultSpecError("a fault must be a JSON object")
    kind = spec.get("kind")
    cls = next((c for c in FAULT_KINDS if _kind_of(c) == kind), None)
    if cls is None:
        known = ", ".join(_kind_of(c) for c in FAULT_KINDS)
        raise FaultSpecError(f"unknown fault kind {kind!r}; known: {known}")
    names = {"kind"} | {f.name for f in fields(cls)}
    unknown = sorted(set(spec) - names)
    if unknown:
        raise FaultSpecError(f"unknown field(s) for {kind} fault: {', '.join(unknown)}")
    try:
        fault = cls(**{str(k): v for k, v in spec.items() if k != "kind"})
    except TypeError as exc:
        raise FaultSpecError(f"{kind} fault: {exc}") from None
    _check(fault)
    return fault


def decode_faults(payload: object) -> list[Fault]:
    """Faults from `{"faults": [...]}` (the control API body)."""
    specs = payload.get("faults") if isinstance(payload, Mapping) else None
    if not isinstance(specs, list):
        raise FaultSpecError('expected {"faults": [ ... ]}')
    return [decode_fault(spec) for spec in specs]


def encode_fault(fault: Fault) -> JSONObject:
    """The fault's JSON object (every field, defaults included)."""
    return {"kind": fault.kind, **asdict(fault)}


class _Entry:
    __slots__ = ("fault", "left")

    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self.left = fault.times


class FaultQueue:
    """Pending faults in order; each request takes the first one whose model filter matches."""

    __slots__ = ("_pending",)

    def __init__(self) -> None:
        self._pending: deque[_Entry] = deque()

    def add(self, *faults: Fault) -> None:
        self._pending.extend(_Entry(fault) for fault in faults)

    def clear(self) -> None:
        self._pending.clear()

    def take(self, model: str) -> Fault | None:
        """The fault for a request for `model`, counting one use of it; None if none applies."""
        if not self._pending:
            return None
        for entry in self._pending:
            if entry.fault.model is None or entry.fault.model == model:
                entry.left -= 1
                if entry.left <= 0:
                    self._pending.remove(entry)
                return entry.fault
        return None

    def pending(self) -> list[tuple[Fault, int]]:
        """Each queued fault with the number of uses it has left."""
        return [(entry.fault, entry.left) for entry in self._pending]

    def __len__(self) -> int:
        return len(self._pending)


def _kind_of(cls: type[Fault]) -> str:
    return cls.kind


def _check(fault: Fault) -> None:
    times = fault.times
    _require(_is_int(times) and times >= 1, "times must be an integer >= 1")
    _require(fault.model is None or isinstance(fault.model, str), "model must be a string")
    for name in ("seconds", "retry_after"):
        value = getattr(fault, name, None)
        _require(value is None or (_is_number(value) and value >= 0), f"{name} must be >= 0")
    after = getattr(fault, "after", 0)
    _require(_is_int(after) and after >= 0, "after must be an integer >= 0")
    match fault:
        case StatusFault(status=status, body=body, headers=headers):
            _require(_is_int(status) and 100 <= status <= 599, "status must be 100-599")
            _require(isinstance(body, dict), "body must be a JSON object")
            _require(
                isinstance(headers, dict) and all(isinstance(v, str) for v in headers.values()),
                "headers must map names to strings",
            )
        case FailedFault(code=code, message=message):
            _require(isinstance(code, str) and isinstance(message, str), "code, message: strings")
        case _:
            pass


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise FaultSpecError(message)
