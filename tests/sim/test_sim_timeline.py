from __future__ import annotations

from fourk.sim import CutFault, FailedFault, MalformedFault, StallFault
from fourk.sim.timeline import MALFORMED_EVENT, Cut, Pause, plan_timeline

EVENTS = [b"e0", b"e1", b"e2"]


def test_no_pacing_is_just_the_events() -> None:
    assert list(plan_timeline(EVENTS, ttft=0, gap=0, fault=None)) == EVENTS


def test_ttft_before_the_first_and_gaps_between() -> None:
    steps = list(plan_timeline(EVENTS, ttft=0.5, gap=0.1, fault=None))
    assert steps == [Pause(0.5), b"e0", Pause(0.1), b"e1", Pause(0.1), b"e2"]


def test_stall_after_n() -> None:
    steps = list(plan_timeline(EVENTS, ttft=0, gap=0, fault=StallFault(after=2, seconds=9)))
    assert steps == [b"e0", b"e1", Pause(9), b"e2"]


def test_stall_at_zero_comes_after_ttft() -> None:
    steps = list(plan_timeline(EVENTS, ttft=0.2, gap=0, fault=StallFault()))
    assert steps[:2] == [Pause(0.2), Pause(3600.0)]


def test_cut_after_n_ends_the_timeline_there_for_the_player() -> None:
    steps = list(plan_timeline(EVENTS, ttft=0, gap=0, fault=CutFault(after=1)))
    assert steps[:2] == [b"e0", Cut()]


def test_malformed_is_inserted() -> None:
    steps = list(plan_timeline(EVENTS, ttft=0, gap=0.1, fault=MalformedFault(after=1)))
    assert steps == [b"e0", Pause(0.1), MALFORMED_EVENT, b"e1", Pause(0.1), b"e2"]


def test_a_fault_beyond_the_end_strikes_at_the_end() -> None:
    steps = list(plan_timeline(EVENTS, ttft=0, gap=0, fault=CutFault(after=10)))
    assert steps == [*EVENTS, Cut()]
    steps = list(plan_timeline(EVENTS, ttft=0, gap=0, fault=MalformedFault(after=3)))
    assert steps == [*EVENTS, MALFORMED_EVENT]


def test_other_faults_do_not_change_timing() -> None:
    assert list(plan_timeline(EVENTS, ttft=0, gap=0, fault=FailedFault())) == EVENTS
