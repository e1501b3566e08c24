from __future__ import annotations

import orjson
import pytest

from fourk.sim import (
    Compaction,
    FunctionCall,
    Reasoning,
    TextMessage,
    echo_persona,
    persona_named,
    reasoner_persona,
)
from fourk.sim.ids import CountingIds, random_id


def message(role: str, content: object) -> dict[str, object]:
    return {"type": "message", "role": role, "content": content}


def echo(input_: object) -> list[object]:
    return list(echo_persona({"model": "m", "input": input_}, CountingIds()))


def test_plain_string_input_is_echoed() -> None:
    assert echo("hello there") == [TextMessage("You said: hello there")]


def test_echo_uses_the_last_user_message_not_developer_or_assistant() -> None:
    items = [
        message("developer", [{"type": "input_text", "text": "system prompt"}]),
        message("user", [{"type": "input_text", "text": "<environment_context>"}]),
        message("user", [{"type": "input_text", "text": "say hi"}]),
        message("assistant", [{"type": "output_text", "text": "earlier answer"}]),
    ]
    assert echo(items) == [TextMessage("You said: say hi")]


def test_easy_input_message_without_type_and_string_content() -> None:
    assert echo([{"role": "user", "content": "plain"}]) == [TextMessage("You said: plain")]


def test_multi_part_content_is_joined() -> None:
    parts = [{"type": "input_text", "text": "one"}, {"type": "input_text", "text": "two"}]
    assert echo([message("user", parts)]) == [TextMessage("You said: one\ntwo")]


def test_long_prompt_is_cut_to_200_characters() -> None:
    text = "abcdefghij" * 100
    [item] = echo(text)
    assert item == TextMessage("You said: " + text[:200])


def test_no_user_text() -> None:
    assert echo([]) == [TextMessage("You said nothing.")]
    assert list(echo_persona({"model": "m"}, CountingIds())) == [TextMessage("You said nothing.")]


def test_run_line_becomes_exec_command_call_with_json_string_arguments() -> None:
    text = "please\nrun:   ls -la /tmp  \nthen tell me"
    [call] = echo([message("user", [{"type": "input_text", "text": text}])])
    assert isinstance(call, FunctionCall)
    assert call.name == "exec_command"
    assert isinstance(call.arguments, str)
    assert orjson.loads(call.arguments) == {"cmd": "ls -la /tmp"}
    assert call.call_id == "call_0001"


def test_run_command_with_quotes_survives_json() -> None:
    [call] = echo('run: echo "a b" \\ c')
    assert isinstance(call, FunctionCall)
    assert orjson.loads(call.arguments) == {"cmd": 'echo "a b" \\ c'}


def test_call_ids_are_unique_with_random_ids() -> None:
    body = {"model": "m", "input": "run: true"}
    first = echo_persona(body, random_id)[0]
    second = echo_persona(body, random_id)[0]
    assert isinstance(first, FunctionCall)
    assert isinstance(second, FunctionCall)
    assert first.call_id.startswith("call_")
    assert len(first.call_id) == len("call_") + 32
    assert first.call_id != second.call_id


@pytest.mark.parametrize("text", ["run:", "run:   ", "rerun: ls", "running: ls"])
def test_not_a_run_command(text: str) -> None:
    [item] = echo(text)
    assert isinstance(item, TextMessage)
    assert item.text.startswith("You said: ")


def test_function_call_output_string_is_quoted() -> None:
    output = "Chunk ID: 5a68a6\nProcess exited with code 0\nOutput:\ngateway-ok\n"
    items = [
        message("user", "run: echo gateway-ok"),
        {"type": "function_call", "call_id": "c1", "name": "exec_command", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": output},
    ]
    assert echo(items) == [TextMessage("Command finished. Output: " + output.strip())]


def test_function_call_output_parts_are_quoted() -> None:
    parts = [{"type": "input_text", "text": "line one"}, {"type": "input_text", "text": "two"}]
    items = [{"type": "function_call_output", "call_id": "c1", "output": parts}]
    assert echo(items) == [TextMessage("Command finished. Output: line one\ntwo")]


def test_tool_output_followed_by_a_new_user_message_answers_the_message() -> None:
    items = [
        {"type": "function_call_output", "call_id": "c1", "output": "old"},
        message("user", "next question"),
    ]
    assert echo(items) == [TextMessage("You said: next question")]


def test_compaction_trigger_gives_exactly_one_compaction_item() -> None:
    history = [message("user", "hello"), message("assistant", "hi")]
    items = echo([*history, {"type": "compaction_trigger"}])
    assert len(items) == 1
    [item] = items
    assert isinstance(item, Compaction)
    assert item.encrypted_content
    again = echo([*history, {"type": "compaction_trigger"}])
    assert again == items
    other = echo([message("user", "other"), {"type": "compaction_trigger"}])
    assert other != items


def test_reasoner_adds_reasoning_before_the_answer() -> None:
    items = reasoner_persona({"model": "m", "input": "why"}, CountingIds())
    assert len(items) == 2
    assert isinstance(items[0], Reasoning)
    assert "why" in items[0].summary
    assert items[0].encrypted_content
    assert items[1] == TextMessage("You said: why")


def test_reasoner_keeps_compaction_alone() -> None:
    body = {"model": "m", "input": [{"type": "compaction_trigger"}]}
    items = reasoner_persona(body, CountingIds())
    assert len(items) == 1
    assert isinstance(items[0], Compaction)


def test_persona_named() -> None:
    assert persona_named("echo") is echo_persona
    assert persona_named("reasoner") is reasoner_persona
    with pytest.raises(ValueError, match="unknown sim persona"):
        persona_named("poet")
