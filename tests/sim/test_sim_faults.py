from __future__ import annotations

import pytest

from fourk.sim import (
    CutFault,
    DelayHeadersFault,
    FailedFault,
    FaultQueue,
    FaultSpecError,
    MalformedFault,
    NoCompletedFault,
    StallFault,
    StatusFault,
    decode_fault,
    decode_faults,
    encode_fault,
)


def test_decode_every_kind_with_defaults() -> None:
    status = decode_fault({"kind": "status", "status": 503, "retry_after": 1})
    assert status == StatusFault(status=503, retry_after=1)
    assert status.body == {
        "error": {
            "message": "simulated upstream error",
            "type": "server_error",
            "code": None,
            "param": None,
        }
    }
    assert decode_fault({"kind": "stall"}) == StallFault(after=0, seconds=3600.0)
    assert decode_fault({"kind": "cut", "after": 3}) == CutFault(after=3)
    assert decode_fault({"kind": "malformed", "after": 1}) == MalformedFault(after=1)
    assert decode_fault({"kind": "no_completed"}) == NoCompletedFault()
    assert decode_fault({"kind": "failed", "code": "rate_limit_exceeded"}) == FailedFault(
        code="rate_limit_exceeded"
    )
    assert decode_fault({"kind": "delay_headers", "seconds": 0.5}) == DelayHeadersFault(0.5)
    limited = decode_fault({"kind": "cut", "model": "gpt-5-codex", "times": 3})
    assert (limited.model, limited.times) == ("gpt-5-codex", 3)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ([], "JSON object"),
        ({"kind": "explode"}, "unknown fault kind"),
        ({"status": 500}, "unknown fault kind"),
        ({"kind": "status"}, "status fault"),
        ({"kind": "status", "status": 700}, "100-599"),
        ({"kind": "status", "status": "503"}, "100-599"),
        ({"kind": "status", "status": 503, "retry_afterr": 1}, "retry_afterr"),
        ({"kind": "status", "status": 503, "retry_after": -1}, "retry_after"),
        ({"kind": "status", "status": 503, "body": "nope"}, "body"),
        ({"kind": "status", "status": 503, "headers": {"x": 1}}, "headers"),
        ({"kind": "stall", "seconds": "long"}, "seconds"),
        ({"kind": "cut", "after": -1}, "after"),
        ({"kind": "cut", "after": 1.5}, "after"),
        ({"kind": "cut", "times": 0}, "times"),
        ({"kind": "cut", "times": True}, "times"),
        ({"kind": "cut", "model": 5}, "model"),
        ({"kind": "failed", "code": 5}, "code"),
    ],
)
def test_invalid_specs_are_refused_with_a_reason(spec: object, message: str) -> None:
    with pytest.raises(FaultSpecError, match=message):
        decode_fault(spec)


def test_decode_faults_wants_a_list_under_faults() -> None:
    assert decode_faults({"faults": [{"kind": "cut"}, {"kind": "no_completed"}]}) == [
        CutFault(),
        NoCompletedFault(),
    ]
    with pytest.raises(FaultSpecError):
        decode_faults([{"kind": "cut"}])
    with pytest.raises(FaultSpecError):
        decode_faults({"faults": {"kind": "cut"}})


@pytest.mark.parametrize(
    "fault",
    [
        StatusFault(429, retry_after=2, headers={"x-extra": "1"}, model="m", times=2),
        StallFault(after=2, seconds=0.5),
        FailedFault(code="insufficient_quota", message="no money", error_type="insufficient_quota"),
        DelayHeadersFault(1.0),
    ],
)
def test_encode_round_trips(fault: object) -> None:
    encoded = encode_fault(fault)  # type: ignore[arg-type]
    assert encoded["kind"] == fault.kind  # type: ignore[attr-defined]
    assert decode_fault(encoded) == fault


def test_queue_is_fifo_and_counts_times() -> None:
    queue = FaultQueue()
    queue.add(CutFault(times=2), NoCompletedFault())
    assert queue.take("m") == CutFault(times=2)
    assert queue.pending() == [(CutFault(times=2), 1), (NoCompletedFault(), 1)]
    assert queue.take("m") == CutFault(times=2)
    assert queue.take("m") == NoCompletedFault()
    assert queue.take("m") is None
    assert len(queue) == 0


def test_queue_model_filter_skips_but_keeps_other_models_faults() -> None:
    queue = FaultQueue()
    queue.add(StatusFault(503, model="a"), StatusFault(500))
    assert queue.take("b") == StatusFault(500)
    assert queue.take("b") is None
    assert queue.take("a") == StatusFault(503, model="a")
    assert queue.take("a") is None


def test_queue_clear() -> None:
    queue = FaultQueue()
    queue.add(CutFault(), CutFault())
    queue.clear()
    assert queue.take("m") is None
    assert queue.pending() == []


def test_queues_are_independent() -> None:
    first, second = FaultQueue(), FaultQueue()
    first.add(CutFault())
    assert second.take("m") is None
    assert first.take("m") == CutFault()
