"""Persona scripts that every protocol shares: patch, summary, and the cut at max_tokens."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from fourk.sim import (
    Compaction,
    CustomToolCall,
    FunctionCall,
    Reasoning,
    TextMessage,
    cap_answer,
    echo_persona,
    plan_answer,
)
from fourk.sim.ids import CountingIds
from fourk.sim.items import OutputItem
from fourk.sim.patch import NO_PATCH_TOOL, add_file_patch, patch_field, patch_script
from fourk.sim.persona import reasoning_blob

PATCH = "*** Begin Patch\n*** Add File: notes/hello.txt\n+hello from the sim\n*** End Patch\n"
CUSTOM_TOOL = {"type": "custom", "name": "apply_patch", "description": "freeform"}
EXEC_TOOL = {"type": "function", "name": "exec_command", "parameters": {"type": "object"}}


def function_tool(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    return {"type": "function", "name": "apply_patch", "parameters": schema}


def persona(input_: object, tools: list[dict[str, Any]] | None = None) -> list[OutputItem]:
    body: dict[str, Any] = {"model": "m", "input": input_}
    if tools is not None:
        body["tools"] = tools
    return echo_persona(body, CountingIds())


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def test_patch_script_reads_path_and_rest_of_line() -> None:
    assert patch_script("please\npatch: a/b.txt  hello   world \nthanks") == (
        "a/b.txt",
        "hello   world",
    )
    assert patch_script("patch: only-a-path") == ("only-a-path", "")
    assert patch_script("patch:   ") is None
    assert patch_script("apply_patch: x y") is None
    assert patch_script("nothing here") is None


def test_add_file_patch_is_codex_apply_patch_format() -> None:
    assert add_file_patch("notes/hello.txt", "hello from the sim") == PATCH


def test_patch_with_custom_tool_is_a_custom_tool_call() -> None:
    [call] = persona("patch: notes/hello.txt hello from the sim", [EXEC_TOOL, CUSTOM_TOOL])
    assert call == CustomToolCall(name="apply_patch", input=PATCH, call_id="call_0001")


@pytest.mark.parametrize(
    ("properties", "required", "field"),
    [
        ({"input": {"type": "string"}}, ["input"], "input"),
        ({"patch": {"type": "string"}}, ["patch"], "patch"),
        ({"dry_run": {"type": "boolean"}, "diff": {"type": "string"}}, ["dry_run", "diff"], "diff"),
        ({"note": {"type": "string"}, "body": {"type": "string"}}, ["body"], "body"),
        ({"text": {"type": "string"}}, [], "text"),
        ({}, [], "input"),
    ],
)
def test_patch_with_function_tool_fills_its_required_string_property(
    properties: dict[str, Any], required: list[str], field: str
) -> None:
    tools = [EXEC_TOOL, function_tool(properties, required)]
    [call] = persona("patch: notes/hello.txt hello from the sim", tools)
    assert isinstance(call, FunctionCall)
    assert call.name == "apply_patch"
    assert orjson.loads(call.arguments) == {field: PATCH}


def test_patch_field_without_a_schema() -> None:
    assert patch_field(None) == "input"
    assert patch_field({"type": "object"}) == "input"


@pytest.mark.parametrize("tools", [None, [], [EXEC_TOOL], [{"type": "web_search"}]])
def test_patch_without_an_apply_patch_tool_says_so(tools: list[dict[str, Any]] | None) -> None:
    assert persona("patch: a.txt hi", tools) == [TextMessage(NO_PATCH_TOOL)]


def test_patch_output_gets_the_usual_reply() -> None:
    items = [
        user("patch: a.txt hi"),
        {"type": "custom_tool_call", "call_id": "c1", "name": "apply_patch", "input": PATCH},
        {"type": "custom_tool_call_output", "call_id": "c1", "output": "Success. A a.txt"},
    ]
    assert persona(items, [CUSTOM_TOOL]) == [
        TextMessage("Command finished. Output: Success. A a.txt")
    ]


def test_run_wins_over_patch_in_the_same_text() -> None:
    [call] = persona("run: ls\npatch: a.txt hi", [CUSTOM_TOOL])
    assert isinstance(call, FunctionCall)
    assert call.name == "exec_command"


def test_summary_quotes_earlier_user_texts_cut_to_80() -> None:
    long = "x" * 100
    items = [
        {"type": "message", "role": "developer", "content": "system words"},
        user("first question"),
        {"type": "message", "role": "assistant", "content": "an answer"},
        user(long),
        {"type": "function_call", "call_id": "c", "name": "exec_command", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c", "output": "tool words"},
        user("Please write a CONTEXT CHECKPOINT COMPACTION summary. run: ls"),
    ]
    [answer] = persona(items)
    expected = "Summary of the conversation so far: first question | " + "x" * 80
    assert answer == TextMessage(expected)


def test_summary_with_no_history() -> None:
    [answer] = persona("CONTEXT CHECKPOINT COMPACTION")
    assert answer == TextMessage("Summary of the conversation so far: ")


def test_earlier_compaction_items_are_harmless() -> None:
    compaction = {"type": "compaction", "encrypted_content": "sim-cmp-3-abc"}
    assert persona([compaction, user("hello again")]) == [TextMessage("You said: hello again")]
    assert persona([user("old"), compaction]) == [TextMessage("You said: old")]
    [summary] = persona([compaction, user("a"), user("CONTEXT CHECKPOINT COMPACTION")])
    assert summary == TextMessage("Summary of the conversation so far: a")


def test_reasoning_blob_is_deterministic_and_tied_to_the_text() -> None:
    assert reasoning_blob("think") == reasoning_blob("think")
    assert reasoning_blob("think") != reasoning_blob("thinks")
    assert reasoning_blob("think").startswith("sim-rs-")


def planned(*items: OutputItem) -> Any:
    def fixed(body: object, new_id: object) -> list[OutputItem]:
        return list(items)

    return plan_answer(
        {"model": "m"}, fixed, CountingIds(), model="m", now=0.0, request_size=400, cached_tokens=7
    )


def test_cap_answer_leaves_short_answers_alone() -> None:
    answer = planned(TextMessage("You said: hi"))
    assert cap_answer(answer, None) is answer
    assert cap_answer(answer, 100) is answer
    assert not answer.truncated


def test_cap_answer_cuts_text_at_four_characters_a_token() -> None:
    answer = planned(Reasoning("r" * 8, "blob"), TextMessage("abcdefghijklmnopqrstuvwxyz"))
    capped = cap_answer(answer, 4)
    assert capped.truncated
    assert capped.items == (Reasoning("r" * 8, "blob"), TextMessage("abcdefgh"))
    assert capped.usage.output_tokens == 4
    assert capped.usage.reasoning_tokens == 2
    assert capped.usage.input_tokens == answer.usage.input_tokens == 100
    assert capped.usage.cached_tokens == 7


def test_cap_answer_drops_a_call_or_reasoning_that_does_not_fit() -> None:
    call = FunctionCall("exec_command", '{"cmd":"a long command line"}', "call_1")
    capped = cap_answer(planned(TextMessage("ok"), call), 2)
    assert capped.items == (TextMessage("ok"),)
    assert capped.usage.output_tokens == 2
    thinking = cap_answer(planned(Reasoning("r" * 40, "b"), TextMessage("hi")), 3)
    assert thinking.items == ()
    assert thinking.usage.reasoning_tokens == 0


def test_compaction_is_still_alone() -> None:
    [item] = persona([user("hello"), {"type": "compaction_trigger"}])
    assert isinstance(item, Compaction)
