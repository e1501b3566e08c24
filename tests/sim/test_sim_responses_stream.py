from __future__ import annotations

from typing import Any

import orjson
import pytest

from fourk.protocols.sse import SSEDecoder
from fourk.sim import (
    Answer,
    Compaction,
    FunctionCall,
    OutputItem,
    Reasoning,
    ResponsesEventStream,
    TextMessage,
    echo_persona,
    encode_answer,
    plan_answer,
)
from fourk.sim.answer import pad_text, split_text
from fourk.sim.ids import CountingIds
from fourk.sim.usage import SimUsage, estimate_usage

NOW = 1_795_809_800.7


def answer_of(*items: OutputItem, chunks: int = 8) -> Answer:
    def persona(body: object, new_id: object) -> list[OutputItem]:
        return list(items)

    return plan_answer(
        {"model": "gpt-5-codex"},
        persona,
        CountingIds(),
        model="gpt-5-codex",
        now=NOW,
        request_size=400,
        chunks=chunks,
    )


def decode_events(data: bytes) -> list[dict[str, Any]]:
    decoder = SSEDecoder()
    payloads = []
    for event in decoder.feed(data) + decoder.flush():
        payload = event.json()
        assert isinstance(payload, dict)
        assert event.event == payload["type"]
        payloads.append(payload)
    return payloads


def stream_events(answer: Answer, chunks: int = 8) -> list[dict[str, Any]]:
    stream = ResponsesEventStream(answer, CountingIds(), chunks)
    return decode_events(b"".join(stream.events()))


def types(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events]


def test_message_sequence_matches_openai_order() -> None:
    events = stream_events(answer_of(TextMessage("Command finished. Output: gateway-ok")), 4)
    assert types(events) == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * 4,
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [event["sequence_number"] for event in events] == list(range(len(events)))


def test_function_call_sequence_and_arguments_string() -> None:
    call = FunctionCall("exec_command", '{"cmd":"echo gateway-ok"}', "call_x")
    events = stream_events(answer_of(call), 3)
    assert types(events) == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        *["response.function_call_arguments.delta"] * 3,
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    added = events[2]["item"]
    assert added["arguments"] == ""
    assert added["status"] == "in_progress"
    deltas = "".join(e["delta"] for e in events if e["type"].endswith("arguments.delta"))
    assert deltas == call.arguments
    assert events[6]["arguments"] == call.arguments
    done = events[7]["item"]
    assert done == {
        "type": "function_call",
        "id": done["id"],
        "call_id": "call_x",
        "name": "exec_command",
        "arguments": call.arguments,
        "status": "completed",
    }
    assert done["id"].startswith("fc_")
    assert isinstance(done["arguments"], str)


@pytest.mark.parametrize("chunks", [1, 2, 7, 8, 33, 300])
def test_exact_text_delta_count_and_concatenation(chunks: int) -> None:
    answer = answer_of(TextMessage("You said: hello, simulator!"), chunks=chunks)
    events = stream_events(answer, chunks)
    deltas = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
    assert len(deltas) == chunks
    assert all(deltas)
    [text_done] = [e for e in events if e["type"] == "response.output_text.done"]
    assert "".join(deltas) == text_done["text"]
    assert text_done["text"].startswith("You said: hello, simulator!")
    [item_done] = [e for e in events if e["type"] == "response.output_item.done"]
    assert item_done["item"]["content"][0]["text"] == text_done["text"]
    completed = events[-1]["response"]
    assert completed["output"] == [item_done["item"]]


def test_item_ids_are_consistent_across_events() -> None:
    events = stream_events(answer_of(TextMessage("hello world, again")), 8)
    item_id = events[2]["item"]["id"]
    assert item_id.startswith("msg_")
    for event in events[3:-2]:
        assert event["item_id"] == item_id
        assert event["output_index"] == 0
    response_ids = {e["response"]["id"] for e in events if "response" in e}
    assert len(response_ids) == 1
    assert response_ids.pop().startswith("resp_")


def test_completed_response_and_usage() -> None:
    answer = answer_of(TextMessage("x" * 40))
    events = stream_events(answer)
    created = events[0]["response"]
    assert created["status"] == "in_progress"
    assert created["output"] == []
    assert created["model"] == "gpt-5-codex"
    assert created["created_at"] == int(NOW)
    assert "usage" not in created
    response = events[-1]["response"]
    assert response["status"] == "completed"
    usage = response["usage"]
    assert usage == {
        "input_tokens": 100,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 10,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 110,
    }


def test_several_items_get_increasing_output_indexes() -> None:
    answer = answer_of(
        Reasoning("Thinking it over.", "blob"),
        TextMessage("Let me run it."),
        FunctionCall("exec_command", '{"cmd":"ls"}', "call_1"),
    )
    events = stream_events(answer, 2)
    added = [e for e in events if e["type"] == "response.output_item.added"]
    assert [(e["output_index"], e["item"]["type"]) for e in added] == [
        (0, "reasoning"),
        (1, "message"),
        (2, "function_call"),
    ]
    summary = [e for e in events if e["type"] == "response.reasoning_summary_text.delta"]
    assert "".join(e["delta"] for e in summary) == "Thinking it over."
    output = events[-1]["response"]["output"]
    assert [item["type"] for item in output] == ["reasoning", "message", "function_call"]
    assert output[0]["summary"] == [{"type": "summary_text", "text": "Thinking it over."}]
    assert output[0]["encrypted_content"] == "blob"
    usage = events[-1]["response"]["usage"]
    assert usage["output_tokens_details"]["reasoning_tokens"] == len("Thinking it over.") // 4


def test_compaction_item_is_added_and_done() -> None:
    events = stream_events(answer_of(Compaction("opaque")))
    assert types(events)[2:5] == [
        "response.output_item.added",
        "response.output_item.done",
        "response.completed",
    ]
    [item] = events[-1]["response"]["output"]
    assert item["type"] == "compaction"
    assert item["encrypted_content"] == "opaque"
    assert item["id"].startswith("cmp_")


def test_failed_event() -> None:
    stream = ResponsesEventStream(answer_of(TextMessage("hi there!")), CountingIds())
    events = decode_events(stream.created() + stream.failed("rate_limit_exceeded", "slow down"))
    assert types(events) == ["response.created", "response.failed"]
    assert events[1]["sequence_number"] == 1
    response = events[1]["response"]
    assert response["status"] == "failed"
    assert response["id"] == events[0]["response"]["id"]
    assert response["error"] == {"code": "rate_limit_exceeded", "message": "slow down"}


def test_stream_is_lazy_and_decodes_at_every_split() -> None:
    stream = ResponsesEventStream(answer_of(TextMessage("lazy stream text")), CountingIds())
    iterator = stream.events()
    first = next(iterator)
    assert first.startswith(b"event: response.created\ndata: ")
    rest = b"".join(iterator)
    whole = first + rest
    expected = decode_events(whole)
    decoder = SSEDecoder()
    seen = []
    for index in range(len(whole)):
        seen.extend(event.json() for event in decoder.feed(whole[index : index + 1]))
    assert seen == expected


def test_non_streaming_object_equals_the_completed_response() -> None:
    answer = answer_of(TextMessage("same either way"))
    completed = stream_events(answer)[-1]["response"]
    assert encode_answer(answer, CountingIds()) == completed


def test_plan_answer_with_echo_persona_counts_the_request() -> None:
    body = {"model": "any-model", "input": "hello"}
    answer = plan_answer(
        body,
        echo_persona,
        CountingIds(),
        model="any-model",
        now=NOW,
        request_size=len(orjson.dumps(body)),
        cached_tokens=3,
    )
    assert answer.items == (TextMessage("You said: hello"),)
    assert answer.usage.input_tokens == len(orjson.dumps(body)) // 4
    assert answer.usage.cached_tokens == 3


def test_estimate_usage() -> None:
    usage = estimate_usage(10, [TextMessage("ab")], cached_tokens=50)
    assert usage == SimUsage(input_tokens=2, cached_tokens=2, output_tokens=1, reasoning_tokens=0)
    assert usage.total_tokens == 3
    assert estimate_usage(0, [], 0).input_tokens == 1
    big = estimate_usage(4000, [TextMessage("y" * 400)], cached_tokens=600)
    assert (big.input_tokens, big.cached_tokens, big.output_tokens) == (1000, 600, 100)


def test_pad_and_split() -> None:
    assert pad_text("hi", 8) == "hi ok ok"
    assert pad_text("hi", 9) == "hi ok ok ok"
    assert pad_text("long enough", 3) == "long enough"
    parts = split_text("abcdefghij", 3)
    assert parts == ["abcd", "efg", "hij"]
    assert split_text("ab", 5) == ["a", "b"]
    assert split_text("", 4) == [""]
