"""The same persona scripts through all three protocols, over HTTP with the real SDKs."""

from __future__ import annotations

from typing import Any

import anthropic
import openai
import orjson

from fourk.sim import CustomToolCall, ResponsesEventStream, SimOptions, plan_answer
from fourk.sim.ids import CountingIds
from fourk.sim.items import OutputItem
from fourk.sim.patch import NO_PATCH_TOOL

from .conftest import decode_events

PATCH = "*** Begin Patch\n*** Add File: docs/a.md\n+hello patch\n*** End Patch\n"
PROMPT = "patch: docs/a.md hello patch"
PATCH_SCHEMA = {
    "type": "object",
    "properties": {"patch": {"type": "string", "description": "the whole patch"}},
    "required": ["patch"],
}
SUMMARY_PROMPT = "CONTEXT CHECKPOINT COMPACTION: summarise the conversation so far."


def clients(server: Any) -> tuple[openai.AsyncOpenAI, anthropic.AsyncAnthropic]:
    return (
        openai.AsyncOpenAI(base_url=server.url + "/v1", api_key="sk", max_retries=0),
        anthropic.AsyncAnthropic(base_url=server.url, api_key="sk", max_retries=0),
    )


def test_responses_stream_of_a_custom_tool_call() -> None:
    def persona(body: object, new_id: object) -> list[OutputItem]:
        return [CustomToolCall(name="apply_patch", input=PATCH, call_id="call_7")]

    answer = plan_answer({}, persona, CountingIds(), model="m", now=0, request_size=8)
    events = decode_events(b"".join(ResponsesEventStream(answer, CountingIds(), 3).events()))
    where = {"item_id": "ctc_0001", "output_index": 0}
    item = {
        "type": "custom_tool_call",
        "id": "ctc_0001",
        "call_id": "call_7",
        "name": "apply_patch",
    }
    added = {**item, "input": "", "status": "in_progress"}
    done = {**item, "input": PATCH, "status": "completed"}
    deltas = [e for e in events if e["type"] == "response.custom_tool_call_input.delta"]
    assert [e["type"] for e in events[2:4]] == [
        "response.output_item.added",
        "response.custom_tool_call_input.delta",
    ]
    assert events[2]["item"] == added
    assert len(deltas) == 3
    assert all({k: e[k] for k in where} == where for e in deltas)
    assert "".join(e["delta"] for e in deltas) == PATCH
    [input_done] = [e for e in events if e["type"] == "response.custom_tool_call_input.done"]
    assert input_done["input"] == PATCH
    assert events[-2] == {
        "type": "response.output_item.done",
        "sequence_number": events[-2]["sequence_number"],
        "output_index": 0,
        "item": done,
    }
    assert events[-1]["response"]["output"] == [done]


async def test_patch_over_responses_custom_and_function_tools(make_sim: Any) -> None:
    oai, _ = clients(await make_sim(SimOptions(chunks=4)))
    custom = [{"type": "custom", "name": "apply_patch", "description": "freeform"}]
    stream = await oai.responses.create(model="m", input=PROMPT, tools=custom, stream=True)  # type: ignore[arg-type]
    kinds = []
    final = None
    async for event in stream:
        kinds.append(event.type)
        if event.type == "response.completed":
            final = event.response
    assert kinds.count("response.custom_tool_call_input.delta") == 4
    assert final is not None
    [call] = final.output
    assert call.type == "custom_tool_call"
    assert call.name == "apply_patch"
    assert call.input == PATCH

    function = [{"type": "function", "name": "apply_patch", "parameters": PATCH_SCHEMA}]
    response = await oai.responses.create(model="m", input=PROMPT, tools=function)  # type: ignore[arg-type]
    [call] = response.output
    assert call.type == "function_call"
    assert orjson.loads(call.arguments) == {"patch": PATCH}

    followed = await oai.responses.create(
        model="m",
        input=[
            {"role": "user", "content": PROMPT},
            {
                "type": "function_call",
                "call_id": call.call_id,
                "name": "apply_patch",
                "arguments": call.arguments,
            },
            {
                "type": "function_call_output",
                "call_id": call.call_id,
                "output": "Success. A docs/a.md",
            },
        ],
        tools=function,  # type: ignore[arg-type]
    )
    assert followed.output_text == "Command finished. Output: Success. A docs/a.md"


async def test_patch_over_chat(make_sim: Any) -> None:
    oai, _ = clients(await make_sim())
    tool = {"type": "function", "function": {"name": "apply_patch", "parameters": PATCH_SCHEMA}}
    messages: list[Any] = [{"role": "user", "content": PROMPT}]
    stream = await oai.chat.completions.create(
        model="m",
        messages=messages,
        tools=[tool],
        stream=True,  # type: ignore[list-item]
    )
    arguments = ""
    call_id = ""
    async for chunk in stream:
        for call in chunk.choices[0].delta.tool_calls or [] if chunk.choices else []:
            call_id = call.id or call_id
            arguments += call.function.arguments or "" if call.function else ""
    assert orjson.loads(arguments) == {"patch": PATCH}
    call = {
        "id": call_id,
        "type": "function",
        "function": {"name": "apply_patch", "arguments": arguments},
    }
    messages += [
        {"role": "assistant", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call_id, "content": "Success. A docs/a.md"},
    ]
    done = await oai.chat.completions.create(model="m", messages=messages, tools=[tool])  # type: ignore[list-item]
    assert done.choices[0].message.content == "Command finished. Output: Success. A docs/a.md"

    refused = await oai.chat.completions.create(model="m", messages=[messages[0]])
    assert refused.choices[0].message.content == NO_PATCH_TOOL
    assert refused.choices[0].finish_reason == "stop"


async def test_patch_over_anthropic(make_sim: Any) -> None:
    _, claude = clients(await make_sim())
    tool = {"name": "apply_patch", "input_schema": PATCH_SCHEMA | {"required": ["patch"]}}
    messages: list[Any] = [{"role": "user", "content": PROMPT}]
    async with claude.messages.stream(
        model="c",
        max_tokens=512,
        messages=messages,
        tools=[tool],  # type: ignore[list-item]
    ) as stream:
        message = await stream.get_final_message()
    [tool_use] = message.content
    assert tool_use.type == "tool_use"
    assert tool_use.name == "apply_patch"
    assert tool_use.input == {"patch": PATCH}
    messages += [
        {"role": "assistant", "content": [tool_use.model_dump()]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": tool_use.id, "content": "ok"}],
        },
    ]
    done = await claude.messages.create(model="c", max_tokens=512, messages=messages, tools=[tool])  # type: ignore[list-item]
    assert done.content[0].text == "Command finished. Output: ok"  # type: ignore[union-attr]

    refused = await claude.messages.create(model="c", max_tokens=512, messages=[messages[0]])
    assert refused.content[0].text == NO_PATCH_TOOL  # type: ignore[union-attr]


async def test_summary_in_every_protocol(make_sim: Any) -> None:
    oai, claude = clients(await make_sim())
    first, second = "x" * 90, "second question"
    expected = f"Summary of the conversation so far: {'x' * 80} | {second}"
    responses = await oai.responses.create(
        model="m",
        input=[
            {"role": "user", "content": first},
            {"type": "compaction", "encrypted_content": "sim-cmp-1-abc"},  # type: ignore[list-item]
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": second},
            {"role": "user", "content": SUMMARY_PROMPT},
        ],
    )
    assert responses.output_text == expected
    chat = await oai.chat.completions.create(
        model="m",
        messages=[
            {"role": "system", "content": "you summarise"},
            {"role": "user", "content": first},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": second},
            {"role": "user", "content": SUMMARY_PROMPT},
        ],
    )
    assert chat.choices[0].message.content == expected
    message = await claude.messages.create(
        model="c",
        max_tokens=512,
        system="you summarise",
        messages=[
            {"role": "user", "content": first},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": [{"type": "text", "text": second}]},
            {"role": "assistant", "content": "noted"},
            {"role": "user", "content": SUMMARY_PROMPT},
        ],
    )
    assert message.content[0].text == expected  # type: ignore[union-attr]


async def test_same_output_tokens_in_every_protocol(make_sim: Any) -> None:
    server = await make_sim(SimOptions(cached_tokens=4))
    oai, claude = clients(server)
    headers = {"x-sim-persona": "reasoner"}
    prompt = "how many tokens is this answer?"
    responses = await oai.responses.create(model="m", input=prompt, extra_headers=headers)
    chat = await oai.chat.completions.create(
        model="m", messages=[{"role": "user", "content": prompt}], extra_headers=headers
    )
    message = await claude.messages.create(
        model="m",
        max_tokens=512,
        messages=[{"role": "user", "content": prompt}],
        extra_headers=headers,
    )
    sizes = [int(r.headers["content-length"]) for r in server.requests.entries()]
    assert responses.usage is not None
    assert chat.usage is not None
    assert responses.usage.input_tokens == sizes[0] // 4
    assert chat.usage.prompt_tokens == sizes[1] // 4
    assert message.usage.input_tokens == sizes[2] // 4 - 4
    assert message.usage.cache_read_input_tokens == 4
    assert chat.usage.prompt_tokens_details is not None
    assert chat.usage.prompt_tokens_details.cached_tokens == 4
    outputs = {
        responses.usage.output_tokens,
        chat.usage.completion_tokens,
        message.usage.output_tokens,
    }
    assert len(outputs) == 1
    assert chat.usage.completion_tokens_details is not None
    reasoning = chat.usage.completion_tokens_details.reasoning_tokens
    assert reasoning == responses.usage.output_tokens_details.reasoning_tokens > 0
