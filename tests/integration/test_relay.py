"""The relay against a real fourk process and a real simulator process."""

from __future__ import annotations

import time

import aiohttp
import openai
import orjson
import pytest
from multidict import CIMultiDict

from fourk.protocols.sse import SSEDecoder
from tests.support.processes import Gateway, Proc, sim_control, sim_requests

pytestmark = pytest.mark.asyncio


def body(
    text: str = "hello relay", *, model: str = "gpt-5-codex", stream: bool = True, **extra: object
) -> dict[str, object]:
    return {
        "model": model,
        "stream": stream,
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
        ],
        **extra,
    }


async def post(
    gateway: Gateway,
    payload: object,
    *,
    key: str | None = None,
    path: str = "/responses",
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> tuple[int, CIMultiDict[str], bytes]:
    auth = {"Authorization": f"Bearer {key if key is not None else gateway.key}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            gateway.url + path,
            data=raw if raw is not None else orjson.dumps(payload),
            headers={**auth, "Content-Type": "application/json", **(headers or {})},
        ) as response,
    ):
        return response.status, CIMultiDict(response.headers), await response.read()


def events(raw: bytes) -> list[dict[str, object]]:
    decoder = SSEDecoder()
    decoded = decoder.feed(raw) + decoder.flush()
    return [e.json() for e in decoded]  # type: ignore[misc]


async def test_stream_passes_through_every_event_and_logs_usage(gateway: Gateway) -> None:
    status, headers, raw = await post(gateway, body("ping"))
    assert status == 200
    assert headers["Content-Type"].startswith("text/event-stream")
    assert "openai-model" not in {k.lower() for k in headers}
    seen = events(raw)
    assert seen[0]["type"] == "response.created"
    assert seen[-1]["type"] == "response.completed"
    deltas = [e["delta"] for e in seen if e["type"] == "response.output_text.delta"]
    assert len(deltas) == 8 and "".join(deltas) == "You said: ping"  # type: ignore[arg-type]
    usage = seen[-1]["response"]["usage"]  # type: ignore[index]
    row = gateway.logs()[-1]
    assert row["request_id"] == headers["X-Request-Id"]
    assert row["status"] == 200 and row["error_code"] is None
    assert row["input_tokens"] == usage["input_tokens"] > 0  # type: ignore[index]
    assert row["output_tokens"] == usage["output_tokens"] > 0  # type: ignore[index]
    assert row["stream"] == 1 and row["model"] == "gpt-5-codex"


async def test_first_event_arrives_before_the_upstream_sends_its_last(gateway: Gateway) -> None:
    # 20 events 100 ms apart: a relay that buffered would deliver the first after ~2 s.
    started = time.monotonic()
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            gateway.url + "/responses",
            json=body("slow"),
            headers={"Authorization": f"Bearer {gateway.key}", "x-sim-gap-ms": "100"},
        ) as response,
    ):
        first = await response.content.readany()
        first_at = time.monotonic() - started
        rest = await response.read()
        total = time.monotonic() - started
    assert b"response.created" in first
    assert first_at < 0.5 < 1.2 < total
    assert b"response.completed" in rest


async def test_non_streaming_answer_is_relayed_whole(gateway: Gateway) -> None:
    status, _, raw = await post(gateway, body("whole", stream=False))
    assert status == 200
    payload = orjson.loads(raw)
    assert payload["status"] == "completed"
    assert payload["output"][0]["content"][0]["text"] == "You said: whole"
    row = gateway.logs()[-1]
    assert row["stream"] == 0 and row["output_tokens"] == payload["usage"]["output_tokens"]


async def test_codex_extras_and_encrypted_reasoning_reach_the_upstream_untouched(
    gateway: Gateway, sim: Proc
) -> None:
    reasoning = {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [],
        "encrypted_content": "gAAAA-opaque-reasoning-blob",
    }
    payload = body(
        "extras",
        client_metadata={"x-codex-window-id": "w1"},
        include=["reasoning.encrypted_content"],
        store=False,
    )
    payload["input"] = [reasoning, *payload["input"]]  # type: ignore[misc]
    status, _, _ = await post(gateway, payload, headers={"session-id": "sess-42"})
    assert status == 200
    last = sim_requests(sim)[-1]
    assert last["body"] == payload
    assert last["headers"]["session-id"] == "sess-42"
    assert last["headers"].get("authorization") is None  # --no-api-key: our key is not leaked


async def test_openai_sdk_streams_through(gateway: Gateway) -> None:
    client = openai.AsyncOpenAI(base_url=gateway.url + "/v1", api_key=gateway.key)
    text = []
    async with client.responses.stream(model="sim-model", input="sdk hello") as stream:
        async for event in stream:
            if event.type == "response.output_text.delta":
                text.append(event.delta)
        final = await stream.get_final_response()
    assert "".join(text) == "You said: sdk hello"
    assert final.usage is not None and final.usage.output_tokens > 0
    models = await client.models.list()
    assert sorted(m.id for m in models.data) == ["gpt-5-codex", "sim-model"]
    await client.close()


# ---- errors -----------------------------------------------------------------------------


async def test_unknown_model_is_404_model_not_found_listing_exact_names(gateway: Gateway) -> None:
    status, _, raw = await post(gateway, body(model="GPT-5-Codex"))
    error = orjson.loads(raw)["error"]
    assert status == 404 and error["code"] == "model_not_found"
    assert "Did you mean 'gpt-5-codex'" in error["message"]
    assert "gpt-5-codex, sim-model" in error["message"]
    assert gateway.logs()[-1]["error_code"] == "model_not_found"


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b'{"input": "x"}', "'model'"),
        (b'{"model": "gpt-5-codex"}', "'input'"),
        (b'{"model": 5, "input": "x"}', "'model' must be a string"),
        (b'{"model": "gpt-5-codex", "input": "x", "stream": "yes"}', "'stream'"),
    ],
)
async def test_malformed_requests_get_400_in_openai_shape(
    gateway: Gateway, raw: bytes, needle: str
) -> None:
    status, _, answer = await post(gateway, None, raw=raw)
    assert status == 400
    error = orjson.loads(answer)["error"]
    assert needle in error["message"] and error["type"] == "invalid_request_error"


async def test_unknown_path_explains_the_base_url(gateway: Gateway) -> None:
    status, _, raw = await post(gateway, body(), path="/v1/v1/responses")
    assert status == 404
    assert "no /v1" in orjson.loads(raw)["error"]["message"]


# ---- upstream faults --------------------------------------------------------------------


async def test_upstream_cut_mid_stream_becomes_response_failed(gateway: Gateway, sim: Proc) -> None:
    sim_control(sim, "POST", "/_sim/faults", {"faults": [{"kind": "cut", "after": 3}]})
    status, _, raw = await post(gateway, body("cut"))
    assert status == 200
    seen = events(raw)
    assert len(seen) == 4
    assert seen[-1]["type"] == "response.failed"
    response = seen[-1]["response"]
    assert response["id"] == seen[0]["response"]["id"]  # type: ignore[index]
    assert response["error"]["code"] == "upstream_incomplete"  # type: ignore[index]
    assert not any(e["type"] == "error" for e in seen)
    assert gateway.logs()[-1]["error_code"] == "upstream_incomplete"


async def test_stream_without_completed_becomes_response_failed(
    gateway: Gateway, sim: Proc
) -> None:
    sim_control(sim, "POST", "/_sim/faults", {"faults": [{"kind": "no_completed"}]})
    _, _, raw = await post(gateway, body("nocomplete"))
    seen = events(raw)
    assert seen[-1]["type"] == "response.failed"
    assert sum(e["type"] == "response.completed" for e in seen) == 0


async def test_upstream_response_failed_passes_through(gateway: Gateway, sim: Proc) -> None:
    sim_control(
        sim,
        "POST",
        "/_sim/faults",
        {"faults": [{"kind": "failed", "code": "context_length_exceeded", "message": "too long"}]},
    )
    _, _, raw = await post(gateway, body("failed"))
    seen = events(raw)
    assert seen[-1]["type"] == "response.failed"
    assert seen[-1]["response"]["error"]["code"] == "context_length_exceeded"  # type: ignore[index]
    assert gateway.logs()[-1]["error_code"] == "context_length_exceeded"


async def test_upstream_400_is_the_clients_fault_and_is_not_retried(
    gateway: Gateway, sim: Proc
) -> None:
    sim_control(
        sim,
        "POST",
        "/_sim/faults",
        {
            "faults": [
                {
                    "kind": "status",
                    "status": 400,
                    "body": {
                        "error": {
                            "message": "Unsupported parameter: 'foo'",
                            "type": "invalid_request_error",
                            "code": None,
                            "param": "foo",
                        }
                    },
                }
            ]
        },
    )
    status, _, raw = await post(gateway, body("bad param"))
    assert status == 400
    assert orjson.loads(raw)["error"]["message"] == "Unsupported parameter: 'foo'"
    assert len(sim_requests(sim)) == 1


async def test_upstream_429_everywhere_gives_429_with_retry_after(
    gateway: Gateway, sim: Proc
) -> None:
    sim_control(
        sim,
        "POST",
        "/_sim/faults",
        {"faults": [{"kind": "status", "status": 429, "retry_after": 7}]},
    )
    status, headers, raw = await post(gateway, body("throttled"))
    assert status == 429 and headers["Retry-After"] == "7"
    error = orjson.loads(raw)["error"]
    assert error["code"] == "rate_limit_exceeded" and "try again in 7s" in error["message"]


async def test_upstream_5xx_gives_502_without_internal_addresses(
    gateway: Gateway, sim: Proc
) -> None:
    sim_control(sim, "POST", "/_sim/faults", {"faults": [{"kind": "status", "status": 503}]})
    status, _, raw = await post(gateway, body("down"))
    assert status == 502
    message = orjson.loads(raw)["error"]["message"]
    assert "HTTP 503" in message and "127.0.0.1" not in message and str(sim.port) not in message


async def test_zstd_bodies_are_inflated_and_broken_ones_refused(gateway: Gateway) -> None:
    from backports import zstd  # the module aiohttp uses before Python 3.14

    payload = orjson.dumps(body("compressed", stream=False))
    status, _, raw = await post(
        gateway, None, raw=zstd.compress(payload), headers={"Content-Encoding": "zstd"}
    )
    assert status == 200 and b"You said: compressed" in raw
    status, _, raw = await post(
        gateway, None, raw=b"not zstd at all", headers={"Content-Encoding": "zstd"}
    )
    assert status == 400 and "Content-Encoding" in orjson.loads(raw)["error"]["message"]
