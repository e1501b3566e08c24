"""When each event of a simulated stream goes out, and where a fault strikes (pure).

A timeline is a sequence of steps: encoded events to send, pauses, and a cut. It knows
nothing of the wire protocol (it takes already-encoded events) nor of the clock: the
simulator walks it, sleeping on pauses and writing events.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from fourk.sim.faults import CutFault, Fault, MalformedFault, StallFault

MALFORMED_EVENT = b"data: {not json\n\n"


@dataclass(frozen=True, slots=True)
class Pause:
    """Send nothing for this many seconds."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Cut:
    """Drop the connection here."""


Step = bytes | Pause | Cut


def plan_timeline(
    events: Iterable[bytes],
    *,
    ttft: float,
    gap: float,
    fault: Fault | None,
    malformed: bytes = MALFORMED_EVENT,
) -> Iterator[Step]:
    """The steps for `events`: `ttft` seconds before the first, `gap` between the others.

    A stall, cut or malformed fault strikes after `fault.after` events, or at the end when
    the stream is shorter; a malformed fault sends `malformed`. Other faults change which
    events there are, not when they go.
    """
    strike = fault.after if isinstance(fault, StallFault | CutFault | MalformedFault) else -1
    if ttft > 0:
        yield Pause(ttft)
    sent = 0
    for event in events:
        if sent and gap > 0:
            yield Pause(gap)
        if sent == strike:
            yield from _strike(fault, malformed)
        yield event
        sent += 1
    if sent <= strike:
        yield from _strike(fault, malformed)


def _strike(fault: Fault | None, malformed: bytes) -> Iterator[Step]:
    match fault:
        case StallFault(seconds=seconds):
            yield Pause(seconds)
        case CutFault():
            yield Cut()
        case MalformedFault():
            yield malformed
        case _:
            pass
