"""Every inbound protocol against every channel kind, with the official SDKs, through real
fourk and simulator processes: Responses, Chat Completions and Anthropic Messages clients on
`openai-responses`, `openai-chat` and `anthropic` channels (the simulator speaks each
upstream protocol in its real streaming format)."""

from __future__ import annotations

import base64
import urllib.request
from collections.abc import Iterator

import anthropic
import openai
import orjson
import pytest

from fourk.protocols.sse import SSEDecoder
from tests.support.processes import (
    Gateway,
    Proc,
    sim_control,
    sim_requests,
    start_protocol_gateway,
    start_sim,
)

KINDS = {"m-resp": "openai-responses", "m-chat": "openai-chat", "m-anth": "anthropic"}
MODELS = list(KINDS)
EXEC_TOOL = {
    "type": "function",
    "name": "exec_command",
    "description": "Run a shell command.",
    "parameters": {
        "type": "object",
        "properties": {"cmd": {"type": "string"}},
        "required": ["cmd"],
    },
}


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proc]:
    proc = start_sim(tmp_path_factory.mktemp("tsim"), "--chunks", "4")
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory, upstream: Proc) -> Iterator[Gateway]:
    running = start_protocol_gateway(tmp_path_factory.mktemp("tgw") / "data", upstream, KINDS)
    yield running
    running.server.stop()


@pytest.fixture(autouse=True)
def _clean(upstream: Proc) -> None:
    sim_control(upstream, "DELETE", "/_sim/faults")
    sim_control(upstream, "DELETE", "/_sim/requests")


def oa(gw: Gateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.url + "/v1", api_key=gw.key, max_retries=0)


def an(gw: Gateway, key: str | None = None) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.url, api_key=key or gw.key, max_retries=0)


def last_upstream(upstream: Proc) -> dict[str, object]:
    requests = sim_requests(upstream)
    assert requests, "the simulator saw no request"
    return requests[-1]


def newest_log(gw: Gateway) -> dict[str, object]:
    return gw.logs()[-1]


# -- Responses clients (Codex's protocol) on every channel kind --------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_responses_stream_on_every_kind(gw: Gateway, upstream: Proc, model: str) -> None:
    with oa(gw).responses.stream(model=model, input="hello hub") as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert final.output_text == "You said: hello hub"
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert kinds.count("response.completed") == 1
    assert final.usage is not None and final.usage.input_tokens > 0
    path = str(last_upstream(upstream)["path"])
    expected = {
        "m-resp": "/v1/responses",
        "m-chat": "/v1/chat/completions",
        "m-anth": "/v1/messages",
    }[model]
    assert path == expected
    row = newest_log(gw)
    assert row["model"] == model and row["status"] == 200
    assert row["input_tokens"] == final.usage.input_tokens
    assert row["output_tokens"] == final.usage.output_tokens
    assert int(str(row["cost"])) > 0  # billed from the translated usage


@pytest.mark.parametrize("model", MODELS)
def test_responses_tool_call_on_every_kind(gw: Gateway, model: str) -> None:
    response = oa(gw).responses.create(
        model=model,
        input="run: ls -la",
        tools=[EXEC_TOOL],
        stream=False,  # type: ignore[list-item]
    )
    calls = [item for item in response.output if item.type == "function_call"]
    assert len(calls) == 1
    assert calls[0].name == "exec_command"
    assert orjson.loads(calls[0].arguments) == {"cmd": "ls -la"}
    follow = oa(gw).responses.create(
        model=model,
        tools=[EXEC_TOOL],  # type: ignore[list-item]
        input=[
            {"type": "message", "role": "user", "content": "run: ls -la"},
            {
                "type": "function_call",
                "call_id": calls[0].call_id,
                "name": "exec_command",
                "arguments": calls[0].arguments,
            },
            {"type": "function_call_output", "call_id": calls[0].call_id, "output": "file.txt"},
        ],  # type: ignore[arg-type]
    )
    assert follow.output_text == "Command finished. Output: file.txt"


def test_codex_tools_reach_a_chat_upstream_flattened(gw: Gateway, upstream: Proc) -> None:
    tools = [
        EXEC_TOOL,
        {
            "type": "custom",
            "name": "apply_patch",
            "description": "Patch files.",
            "format": {"type": "grammar", "syntax": "lark", "definition": "start: x"},
        },
        {
            "type": "namespace",
            "name": "multi_agent_v1",
            "description": "agents",
            "tools": [
                {"type": "function", "name": "spawn_agent", "parameters": {"type": "object"}}
            ],
        },
        {"type": "web_search", "external_web_access": False},
    ]
    response = oa(gw).responses.create(
        model="m-chat",
        input="patch: notes.txt hello from the hub",
        tools=tools,  # type: ignore[arg-type]
    )
    sent = last_upstream(upstream)["body"]
    assert isinstance(sent, dict)
    names = [t["function"]["name"] for t in sent["tools"]]
    assert names == ["exec_command", "apply_patch", "multi_agent_v1__spawn_agent"]
    patch = [item for item in response.output if item.type == "custom_tool_call"]
    assert len(patch) == 1 and patch[0].name == "apply_patch"
    assert "*** Add File: notes.txt" in patch[0].input
    assert "+hello from the hub" in patch[0].input


@pytest.mark.parametrize("model", MODELS)
def test_responses_stream_with_tools_on_every_kind(gw: Gateway, model: str) -> None:
    with oa(gw).responses.stream(
        model=model,
        input="run: uname -a",
        tools=[EXEC_TOOL],  # type: ignore[list-item]
    ) as stream:
        deltas = [e.delta for e in stream if e.type == "response.function_call_arguments.delta"]
        final = stream.get_final_response()
    calls = [item for item in final.output if item.type == "function_call"]
    assert len(calls) == 1 and calls[0].name == "exec_command"
    assert orjson.loads(calls[0].arguments) == {"cmd": "uname -a"}
    assert "".join(deltas) == calls[0].arguments  # the arguments streamed in pieces


# -- Chat Completions clients -------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_chat_stream_with_tools_on_every_kind(gw: Gateway, model: str) -> None:
    tool = {
        "type": "function",
        "function": {"name": "exec_command", "parameters": EXEC_TOOL["parameters"]},
    }
    stream = oa(gw).chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "run: echo hi"}],
        tools=[tool],  # type: ignore[list-item]
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    calls: dict[int, dict[str, str]] = {}
    finish = None
    for chunk in chunks:
        for choice in chunk.choices:
            finish = choice.finish_reason or finish
            for call in choice.delta.tool_calls or []:
                entry = calls.setdefault(call.index, {"name": "", "arguments": ""})
                if call.function and call.function.name:
                    entry["name"] = call.function.name
                if call.function and call.function.arguments:
                    entry["arguments"] += call.function.arguments
    assert finish == "tool_calls"
    assert calls[0]["name"] == "exec_command"
    assert orjson.loads(calls[0]["arguments"]) == {"cmd": "echo hi"}
    assert chunks[-1].usage is not None and chunks[-1].usage.prompt_tokens > 0
    assert newest_log(gw)["endpoint"] == "chat.completions"


@pytest.mark.parametrize("model", MODELS)
def test_chat_whole_on_every_kind(gw: Gateway, model: str) -> None:
    completion = oa(gw).chat.completions.create(
        model=model, messages=[{"role": "user", "content": "plain chat"}]
    )
    assert completion.choices[0].message.content == "You said: plain chat"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.completion_tokens > 0


def test_chat_client_without_usage_gets_no_usage_chunk(gw: Gateway, upstream: Proc) -> None:
    chunks = list(
        oa(gw).chat.completions.create(
            model="m-chat", messages=[{"role": "user", "content": "no usage please"}], stream=True
        )
    )
    assert all(chunk.usage is None for chunk in chunks)
    sent = last_upstream(upstream)["body"]
    assert isinstance(sent, dict)
    assert sent["stream_options"] == {"include_usage": True}  # fourk still bills by it
    assert newest_log(gw)["output_tokens"] > 0  # type: ignore[operator]


# -- Anthropic Messages clients ------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_messages_stream_with_tools_on_every_kind(gw: Gateway, model: str) -> None:
    tool = {
        "name": "exec_command",
        "description": "Run a shell command.",
        "input_schema": EXEC_TOOL["parameters"],
    }
    with an(gw).messages.stream(
        model=model,
        max_tokens=1024,
        messages=[{"role": "user", "content": "run: pwd"}],
        tools=[tool],  # type: ignore[list-item]
    ) as stream:
        message = stream.get_final_message()
    uses = [block for block in message.content if block.type == "tool_use"]
    assert message.stop_reason == "tool_use"
    assert len(uses) == 1 and uses[0].name == "exec_command" and uses[0].input == {"cmd": "pwd"}
    followup = an(gw).messages.create(
        model=model,
        max_tokens=1024,
        tools=[tool],  # type: ignore[list-item]
        messages=[
            {"role": "user", "content": "run: pwd"},
            {"role": "assistant", "content": [block.model_dump() for block in message.content]},
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": uses[0].id, "content": "/home/alice"}
                ],
            },
        ],  # type: ignore[misc]
    )
    texts = [block.text for block in followup.content if block.type == "text"]
    assert texts == ["Command finished. Output: /home/alice"]
    assert followup.usage.output_tokens > 0
    row = newest_log(gw)
    assert row["endpoint"] == "messages" and row["output_tokens"] == followup.usage.output_tokens


def test_messages_errors_in_anthropic_shape(gw: Gateway) -> None:
    with pytest.raises(anthropic.AuthenticationError) as caught:
        an(gw, key="sk-wrong").messages.create(
            model="m-anth", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        )
    assert caught.value.body["type"] == "error"  # type: ignore[index]
    with pytest.raises(anthropic.NotFoundError) as missing:
        an(gw).messages.create(
            model="no-such", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        )
    assert "m-anth" in str(missing.value)  # names what exists


def test_models_in_anthropic_shape(gw: Gateway) -> None:
    page = an(gw).models.list()
    assert sorted(model.id for model in page.data) == sorted(MODELS)


def test_upstream_context_error_keeps_its_meaning(gw: Gateway, upstream: Proc) -> None:
    body = {
        "type": "error",
        "error": {
            "type": "invalid_request_error",
            "message": "prompt is too long: 250000 tokens > 200000 maximum",
        },
    }
    sim_control(
        upstream,
        "POST",
        "/_sim/faults",
        {"faults": [{"kind": "status", "status": 400, "body": body}]},
    )
    with pytest.raises(openai.BadRequestError) as caught:
        oa(gw).responses.create(model="m-anth", input="long")
    assert caught.value.code == "context_length_exceeded"


# -- Remote compaction, emulated -----------------------------------------------------------------


def _history() -> list[dict[str, object]]:
    return [
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "the secret word is tangerine"}],
        },
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Noted."}],
        },
    ]


@pytest.mark.parametrize("model", ["m-chat", "m-anth"])
def test_compaction_is_emulated_and_sealed(gw: Gateway, upstream: Proc, model: str) -> None:
    input_items = [*_history(), {"type": "compaction_trigger"}]
    with oa(gw).responses.stream(model=model, input=input_items) as stream:  # type: ignore[arg-type]
        final = stream.get_final_response()
    raw = final.model_dump()["output"]
    assert len(raw) == 1 and raw[0]["type"] == "compaction"
    blob = raw[0]["encrypted_content"]
    assert "tangerine" not in blob  # sealed, not readable
    asked = last_upstream(upstream)["body"]
    assert "CONTEXT CHECKPOINT COMPACTION" in orjson.dumps(asked).decode()
    assert newest_log(gw)["output_tokens"] > 0  # type: ignore[operator]

    later = [raw[0], {"type": "message", "role": "user", "content": "what was the word?"}]
    oa(gw).responses.create(model=model, input=later)  # type: ignore[arg-type]
    sent = orjson.dumps(last_upstream(upstream)["body"]).decode()
    assert "tangerine" in sent  # the summary went back to the model as text
    assert blob not in sent


def test_tampered_or_foreign_compaction_is_refused(gw: Gateway) -> None:
    input_items = [*_history(), {"type": "compaction_trigger"}]
    final = oa(gw).responses.create(model="m-chat", input=input_items)  # type: ignore[arg-type]
    blob = final.model_dump()["output"][0]["encrypted_content"]
    raw = bytearray(base64.urlsafe_b64decode(blob.split(".", 2)[2] + "=="))
    raw[-1] ^= 1
    tampered = blob.rsplit(".", 1)[0] + "." + base64.urlsafe_b64encode(bytes(raw)).decode()
    for bad in (tampered, "gAAAAABforeign-openai-blob"):
        with pytest.raises(openai.BadRequestError) as caught:
            oa(gw).responses.create(
                model="m-chat",
                input=[
                    {"type": "compaction", "encrypted_content": bad},
                    {"type": "message", "role": "user", "content": "go on"},
                ],  # type: ignore[list-item]
            )
        assert caught.value.code == "invalid_compaction"
        assert "/new" in str(caught.value)


def test_compaction_passes_through_on_a_responses_channel(gw: Gateway, upstream: Proc) -> None:
    input_items = [*_history(), {"type": "compaction_trigger"}]
    final = oa(gw).responses.create(model="m-resp", input=input_items)  # type: ignore[arg-type]
    item = final.model_dump()["output"][0]
    assert item["encrypted_content"].startswith("sim-cmp-")  # the upstream's own
    sent = last_upstream(upstream)["body"]
    assert isinstance(sent, dict) and sent["input"][-1] == {"type": "compaction_trigger"}


# -- Failures in the middle of a translated stream ----------------------------------------------


def _raw_events(gw: Gateway, model: str) -> list[dict[str, object]]:
    """The Responses events fourk sent for one streamed request (read without the SDK, which
    raises on response.failed)."""
    request = urllib.request.Request(
        gw.url + "/v1/responses",
        data=orjson.dumps({"model": model, "input": "hello", "stream": True}),
        headers={"Authorization": f"Bearer {gw.key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
    decoder = SSEDecoder()
    return [orjson.loads(e.data) for e in decoder.feed(raw) + decoder.flush()]


@pytest.mark.parametrize("model", ["m-chat", "m-anth"])
def test_upstream_error_mid_stream_becomes_response_failed(
    gw: Gateway, upstream: Proc, model: str
) -> None:
    fault = {
        "kind": "failed",
        "code": "rate_limit_exceeded",
        "message": "Rate limit reached. Please try again in 7s.",
    }
    sim_control(upstream, "POST", "/_sim/faults", {"faults": [fault]})
    events = _raw_events(gw, model)
    assert events[-1]["type"] == "response.failed"
    assert [e["type"] for e in events].count("response.failed") == 1
    error = events[-1]["response"]["error"]  # type: ignore[index]
    assert error["code"] == "rate_limit_exceeded"  # Codex waits and retries on this code
    assert "try again in" in error["message"]
    assert newest_log(gw)["error_code"] == "rate_limit_exceeded"


@pytest.mark.parametrize("model", ["m-chat", "m-anth"])
def test_cut_translated_stream_fails_and_is_billed_as_estimated(
    gw: Gateway, upstream: Proc, model: str
) -> None:
    sim_control(upstream, "POST", "/_sim/faults", {"faults": [{"kind": "cut", "after": 3}]})
    events = _raw_events(gw, model)
    assert events[0]["type"] == "response.created"
    assert events[-1]["type"] == "response.failed"
    assert events[-1]["response"]["error"]["code"] == "upstream_incomplete"  # type: ignore[index]
    row = newest_log(gw)
    assert row["error_code"] == "upstream_incomplete"
    assert row["usage_estimated"] == 1 and int(str(row["cost"])) > 0
