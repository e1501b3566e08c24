"""Watching a passed-through Responses stream: terminal events, usage, the response id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from fourk.billing.usage import Usage
from fourk.protocols.responses.stream import (
    ResponsesWatch,
    Terminal,
    decode_usage,
    encode_failed,
)
from fourk.protocols.sse import SSEFramer, encode_typed_event, parse_event

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = {
    "sse-sample-message.txt": "resp_99ee016b12df4177b5d88591daae09b2",
    "sse-sample-function-call.txt": "resp_87827b2bbd7b4693bcc1a620fa5bf80e",
}
FULL_USAGE = {
    "input_tokens": 1200,
    "input_tokens_details": {"cached_tokens": 1000},
    "output_tokens": 300,
    "output_tokens_details": {"reasoning_tokens": 256},
    "total_tokens": 1500,
}


def blocks_of(name: str) -> list[bytes]:
    framer = SSEFramer()
    blocks = framer.feed((FIXTURES / name).read_bytes())
    assert framer.flush() == b""
    return blocks


def event(payload: dict[str, Any]) -> bytes:
    return encode_typed_event(payload)


def terminal_event(kind: str, **response: Any) -> bytes:
    return event({"type": kind, "response": {"id": "resp_t", **response}})


@pytest.mark.parametrize(("name", "response_id"), SAMPLES.items())
def test_real_sample_ends_only_at_response_completed(name: str, response_id: str) -> None:
    blocks = blocks_of(name)
    watch = ResponsesWatch()
    verdicts = [watch.is_terminal(block) for block in blocks]
    assert verdicts == [False] * (len(blocks) - 1) + [True]
    assert watch.response_id == response_id
    assert watch.terminal == Terminal(
        "response.completed", Usage(input_tokens=100, output_tokens=20)
    )


@pytest.mark.parametrize("name", SAMPLES)
def test_find_terminal_in_every_run_of_a_real_sample(name: str) -> None:
    blocks = blocks_of(name)
    for cut in range(len(blocks)):  # the stream arrives as two runs of whole events
        watch = ResponsesWatch()
        head, tail = b"".join(blocks[:cut]), b"".join(blocks[cut:])
        assert watch.find_terminal(head) is None
        found = watch.find_terminal(tail)
        assert found is not None
        assert tail[found[0] : found[1]] == blocks[-1]
        assert watch.response_id == SAMPLES[name]
        assert watch.terminal is not None and watch.terminal.kind == "response.completed"


def test_find_terminal_skips_the_name_inside_text() -> None:
    chatter = event({"type": "response.output_text.delta", "delta": "see response.completed"})
    failed = event({"type": "response.output_text.delta", "delta": "response.failed, too"})
    end = terminal_event("response.completed", usage=FULL_USAGE)
    watch = ResponsesWatch()
    assert watch.find_terminal(chatter + failed) is None
    region = chatter + failed + end + chatter
    found = watch.find_terminal(region)
    assert found == (len(chatter + failed), len(chatter + failed + end))
    assert watch.terminal is not None and watch.terminal.usage == decode_usage(FULL_USAGE)


def test_find_terminal_keeps_the_created_id_and_tolerates_extra_blank_lines() -> None:
    created = event({"type": "response.created", "response": {"id": "resp_first"}})
    end = terminal_event("response.incomplete", incomplete_details={"reason": "max_tokens"})
    watch = ResponsesWatch()
    region = created + b"\n\n" + end
    found = watch.find_terminal(region)
    assert found is not None and region[found[0] : found[1]] == end
    assert watch.response_id == "resp_first"  # from created, not from the terminal's resp_t
    assert watch.terminal == Terminal("response.incomplete", None, "incomplete", "max_tokens")


@pytest.mark.parametrize("name", SAMPLES)
def test_real_sample_with_crlf_line_endings(name: str) -> None:
    framer = SSEFramer()
    data = (FIXTURES / name).read_bytes().replace(b"\n", b"\r\n")
    blocks = [b for i in range(0, len(data), 7) for b in framer.feed(data[i : i + 7])]
    watch = ResponsesWatch()
    assert [watch.is_terminal(b) for b in blocks].count(True) == 1
    assert watch.is_terminal(blocks[-1])
    assert watch.response_id == SAMPLES[name]


def test_id_is_taken_from_response_created() -> None:
    watch = ResponsesWatch()
    created = event({"type": "response.created", "response": {"id": "resp_created"}})
    assert not watch.is_terminal(created)
    assert watch.response_id == "resp_created"
    assert watch.is_terminal(terminal_event("response.completed", id="resp_other"))
    assert watch.response_id == "resp_created"


def test_id_falls_back_to_the_terminal_event() -> None:
    watch = ResponsesWatch()
    assert watch.is_terminal(terminal_event("response.completed", id="resp_late"))
    assert watch.response_id == "resp_late"


@pytest.mark.parametrize(
    "response",
    [None, [], {"id": 7}, {"object": "response"}],
)
def test_created_without_usable_id_sets_nothing(response: object) -> None:
    watch = ResponsesWatch()
    assert not watch.is_terminal(event({"type": "response.created", "response": response}))
    assert watch.response_id is None
    assert watch.terminal is None


def test_created_marker_in_text_does_not_set_the_id() -> None:
    watch = ResponsesWatch()
    delta = event({"type": "response.output_text.delta", "delta": "response.created"})
    assert not watch.is_terminal(delta)
    assert watch.response_id is None


@pytest.mark.parametrize(
    "delta",
    [
        "response.completed",
        '{"type": "response.completed", "response": {"id": "x"}}',
        "response.failed and response.incomplete",
    ],
)
def test_terminal_words_inside_text_are_not_terminal(delta: str) -> None:
    watch = ResponsesWatch()
    for payload in (
        {"type": "response.output_text.delta", "delta": delta},
        {"type": "response.output_text.done", "text": delta},
        {"type": "response.function_call_arguments.delta", "delta": delta},
    ):
        assert not watch.is_terminal(event(payload))
    assert watch.terminal is None


def test_event_line_alone_does_not_make_a_terminal() -> None:
    # Codex reads the type from the data, never from the `event:` line.
    block = b'event: response.completed\ndata: {"type":"response.in_progress"}\n\n'
    assert not ResponsesWatch().is_terminal(block)


@pytest.mark.parametrize(
    "block",
    [
        b"event: response.completed\ndata: [DONE]\n\n",
        b"event: response.completed\n\n",
        b": response.completed\n\n",
        b'data: ["response.completed"]\n\n',
        b'data: {"type": "response.completed"\n\n',
    ],
)
def test_unparsable_blocks_with_markers_are_not_terminal(block: bytes) -> None:
    watch = ResponsesWatch()
    assert not watch.is_terminal(block)
    assert watch.terminal is None


def test_data_only_terminal_without_event_line() -> None:
    watch = ResponsesWatch()
    block = b'data: {"type":"response.completed","response":{"id":"r","usage":null}}\n\n'
    assert watch.is_terminal(block)
    assert watch.terminal == Terminal("response.completed", None)


def test_failed_terminal_carries_code_and_message() -> None:
    watch = ResponsesWatch()
    block = terminal_event(
        "response.failed",
        status="failed",
        error={"code": "rate_limit_exceeded", "message": "Please try again in 1.5s."},
    )
    assert watch.is_terminal(block)
    assert watch.terminal == Terminal(
        "response.failed", None, "rate_limit_exceeded", "Please try again in 1.5s."
    )


@pytest.mark.parametrize("error", [None, "boom", {}, {"code": 5, "message": ["x"]}])
def test_failed_terminal_without_usable_error(error: object) -> None:
    watch = ResponsesWatch()
    assert watch.is_terminal(terminal_event("response.failed", error=error))
    assert watch.terminal == Terminal("response.failed", None, "response_failed", None)


def test_incomplete_terminal_carries_the_reason_and_usage() -> None:
    watch = ResponsesWatch()
    block = terminal_event(
        "response.incomplete",
        incomplete_details={"reason": "max_output_tokens"},
        usage=FULL_USAGE,
    )
    assert watch.is_terminal(block)
    assert watch.terminal == Terminal(
        "response.incomplete",
        Usage(input_tokens=1200, cached_tokens=1000, output_tokens=300, reasoning_tokens=256),
        "incomplete",
        "max_output_tokens",
    )


def test_incomplete_terminal_without_details() -> None:
    watch = ResponsesWatch()
    assert watch.is_terminal(terminal_event("response.incomplete", incomplete_details=None))
    assert watch.terminal == Terminal("response.incomplete", None, "incomplete", None)


def test_terminal_with_non_object_response() -> None:
    watch = ResponsesWatch()
    assert watch.is_terminal(event({"type": "response.completed", "response": "nope"}))
    assert watch.terminal == Terminal("response.completed", None)
    assert watch.response_id is None


def test_decode_usage_complete() -> None:
    assert decode_usage(FULL_USAGE) == Usage(
        input_tokens=1200, cached_tokens=1000, output_tokens=300, reasoning_tokens=256
    )
    assert decode_usage(FULL_USAGE).total_tokens == 1500  # type: ignore[union-attr]


def test_decode_usage_null_details() -> None:
    raw = {
        "input_tokens": 10,
        "input_tokens_details": None,
        "output_tokens": 5,
        "output_tokens_details": None,
        "total_tokens": 15,
    }
    assert decode_usage(raw) == Usage(input_tokens=10, output_tokens=5)


@pytest.mark.parametrize("raw", [None, [], "usage", 12])
def test_decode_usage_missing(raw: object) -> None:
    assert decode_usage(raw) is None


@pytest.mark.parametrize("bad", [-1, -(2**40), "12", 3.5, True, None, [], {}, float("nan")])
def test_decode_usage_garbage_numbers_become_zero(bad: object) -> None:
    raw = {
        "input_tokens": bad,
        "input_tokens_details": {"cached_tokens": bad},
        "output_tokens": bad,
        "output_tokens_details": {"reasoning_tokens": bad},
    }
    assert decode_usage(raw) == Usage()


def test_decode_usage_empty_object_is_zero_usage() -> None:
    assert decode_usage({}) == Usage()


def test_encode_failed_is_what_codex_reads() -> None:
    block = encode_failed("resp_abc", "upstream_timeout", "The upstream went silent.", "gpt-5")
    assert block.endswith(b"\n\n")
    parsed = parse_event(block)
    assert parsed is not None
    assert parsed.event == "response.failed"
    payload = orjson.loads(parsed.data)
    assert payload["type"] == "response.failed"
    response = payload["response"]
    assert response["id"] == "resp_abc"
    assert response["status"] == "failed"
    assert response["model"] == "gpt-5"
    assert response["error"] == {"code": "upstream_timeout", "message": "The upstream went silent."}
    # and our own watcher sees it as the failure it is
    watch = ResponsesWatch()
    assert watch.is_terminal(block)
    assert watch.terminal == Terminal(
        "response.failed", None, "upstream_timeout", "The upstream went silent."
    )


def test_encode_failed_without_id_invents_one() -> None:
    first = orjson.loads(parse_event(encode_failed(None, "c", "m", "x")).data)  # type: ignore[union-attr]
    rid = first["response"]["id"]
    assert isinstance(rid, str)
    assert rid.startswith("resp_")
    assert len(rid) > len("resp_")


def test_encode_failed_escapes_the_message() -> None:
    message = 'line one\nline two "quoted"\r\n\n'
    block = encode_failed("r", "c", message, "m")
    framer = SSEFramer()
    assert framer.feed(block) == [block]  # one event, however the message looks
    payload = orjson.loads(parse_event(block).data)  # type: ignore[union-attr]
    assert payload["response"]["error"]["message"] == message
