"""The simulator over HTTP, as a relay (or Codex) sees it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from fourk.sim import SimOptions, start_sim

BODY: dict[str, Any] = {"model": "gpt-5-codex", "stream": True, "input": "hello over http"}
SRC = Path(__file__).resolve().parents[2] / "src"


async def post_faults(client: Any, *faults: dict[str, Any]) -> None:
    response = await client.post("/_sim/faults", json={"faults": list(faults)})
    assert response.status == 200, await response.text()


async def test_streaming_response(make_client: Any, decode_sse: Any) -> None:
    client = await make_client(SimOptions(chunks=5))
    raw = orjson.dumps(BODY)
    response = await client.post("/v1/responses", data=raw)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert "openai-model" not in response.headers
    events = decode_sse(await response.read())
    assert events[0]["type"] == "response.created"
    assert events[-1]["type"] == "response.completed"
    deltas = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
    assert len(deltas) == 5
    assert "".join(deltas) == "You said: hello over http"
    usage = events[-1]["response"]["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert usage["input_tokens"] == len(raw) // 4


async def test_both_paths_and_any_model(make_client: Any, decode_sse: Any) -> None:
    client = await make_client()
    body = {**BODY, "model": "some-model-nobody-configured"}
    response = await client.post("/responses", json=body)
    assert response.status == 200
    events = decode_sse(await response.read())
    assert events[-1]["response"]["model"] == "some-model-nobody-configured"


async def test_events_arrive_one_by_one_with_pacing(make_client: Any) -> None:
    client = await make_client(SimOptions(chunks=2, gap_ms=30))
    started = time.monotonic()
    response = await client.post("/v1/responses", json=BODY)
    arrivals = []
    buffer = b""
    async for chunk in response.content.iter_any():
        buffer += chunk
        arrivals.append(time.monotonic() - started)
    assert buffer.count(b"\n\n") == 10
    assert len(arrivals) >= 5  # not one buffered write
    assert arrivals[-1] >= 9 * 0.03


async def test_ttft_header_delays_the_first_event(make_client: Any) -> None:
    client = await make_client()
    started = time.monotonic()
    response = await client.post("/v1/responses", json=BODY, headers={"x-sim-ttft-ms": "200"})
    assert response.status == 200
    assert time.monotonic() - started < 0.2  # headers came first
    await response.content.readuntil(b"\n\n")
    assert time.monotonic() - started >= 0.2


async def test_chunks_header(make_client: Any, decode_sse: Any) -> None:
    client = await make_client()
    response = await client.post("/v1/responses", json=BODY, headers={"x-sim-chunks": "40"})
    events = decode_sse(await response.read())
    deltas = [e for e in events if e["type"] == "response.output_text.delta"]
    assert len(deltas) == 40


async def test_non_streaming_json(make_client: Any) -> None:
    client = await make_client()
    response = await client.post("/v1/responses", json={**BODY, "stream": False})
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/json")
    payload = await response.json()
    assert payload["object"] == "response"
    assert payload["status"] == "completed"
    assert payload["id"].startswith("resp_")
    [item] = payload["output"]
    assert item["content"][0]["text"] == "You said: hello over http"
    assert set(payload["usage"]) == {
        "input_tokens",
        "input_tokens_details",
        "output_tokens",
        "output_tokens_details",
        "total_tokens",
    }
    no_stream_key = await client.post("/v1/responses", json={"model": "m", "input": "x"})
    assert (await no_stream_key.json())["object"] == "response"


async def test_codex_turn_run_then_output(make_client: Any, decode_sse: Any) -> None:
    client = await make_client()
    first = decode_sse(
        await (await client.post("/responses", json={**BODY, "input": "run: ls"})).read()
    )
    call = first[-1]["response"]["output"][0]
    assert call["type"] == "function_call"
    assert orjson.loads(call["arguments"]) == {"cmd": "ls"}
    follow_up = {
        **BODY,
        "input": [
            {"type": "message", "role": "user", "content": "run: ls"},
            call,
            {"type": "function_call_output", "call_id": call["call_id"], "output": "a.txt"},
        ],
    }
    second = decode_sse(await (await client.post("/responses", json=follow_up)).read())
    text = second[-1]["response"]["output"][0]["content"][0]["text"]
    assert text == "Command finished. Output: a.txt"


async def test_models_list(make_client: Any) -> None:
    client = await make_client(SimOptions(models=("alpha", "beta")))
    for path in ("/v1/models", "/models"):
        response = await client.get(path)
        assert response.status == 200
        payload = await response.json()
        assert payload["object"] == "list"
        assert [m["id"] for m in payload["data"]] == ["alpha", "beta"]
        assert all(m["object"] == "model" and m["owned_by"] == "fourk-sim" for m in payload["data"])
        assert all(isinstance(m["created"], int) for m in payload["data"])


async def test_default_models(make_client: Any) -> None:
    client = await make_client()
    payload = await (await client.get("/v1/models")).json()
    assert [m["id"] for m in payload["data"]] == ["gpt-5-codex", "sim-model"]


async def test_status_fault_with_retry_after_and_times(make_client: Any) -> None:
    client = await make_client()
    await post_faults(client, {"kind": "status", "status": 503, "retry_after": 1, "times": 2})
    for _ in range(2):
        response = await client.post("/v1/responses", json=BODY)
        assert response.status == 503
        assert response.headers["Retry-After"] == "1"
        assert await response.json() == {
            "error": {
                "message": "simulated upstream error",
                "type": "server_error",
                "code": None,
                "param": None,
            }
        }
    assert (await client.post("/v1/responses", json=BODY)).status == 200


async def test_status_fault_custom_body_and_model_filter(make_client: Any) -> None:
    client = await make_client()
    body = {
        "error": {"message": "quota", "type": "insufficient_quota", "code": "insufficient_quota"}
    }
    await post_faults(client, {"kind": "status", "status": 429, "body": body, "model": "m2"})
    assert (await client.post("/v1/responses", json=BODY)).status == 200
    response = await client.post("/v1/responses", json={**BODY, "model": "m2"})
    assert response.status == 429
    assert "Retry-After" not in response.headers
    assert await response.json() == body


async def test_stall_after_headers_trips_a_read_timeout(make_client: Any) -> None:
    client = await make_client()
    await post_faults(client, {"kind": "stall"})
    timeout = aiohttp.ClientTimeout(sock_read=0.3)
    response = await client.post("/v1/responses", json=BODY, timeout=timeout)
    assert response.status == 200  # headers arrived
    with pytest.raises(asyncio.TimeoutError):
        await response.read()
    response.close()


async def test_short_stall_mid_stream_then_completes(make_client: Any, decode_sse: Any) -> None:
    client = await make_client()
    await post_faults(client, {"kind": "stall", "after": 3, "seconds": 0.3})
    response = await client.post("/v1/responses", json=BODY)
    received = b""
    started = time.monotonic()
    while received.count(b"\n\n") < 3:
        received += await response.content.readuntil(b"\n\n")
    assert time.monotonic() - started < 0.25
    rest = await response.read()
    assert time.monotonic() - started >= 0.3
    events = decode_sse(received + rest)
    assert events[-1]["type"] == "response.completed"


async def test_delay_headers(make_client: Any) -> None:
    client = await make_client()
    await post_faults(client, {"kind": "delay_headers", "seconds": 0.3})
    started = time.monotonic()
    response = await client.post("/v1/responses", json=BODY)
    assert time.monotonic() - started >= 0.3
    assert response.status == 200
    await response.read()


async def test_delay_headers_trips_a_first_byte_timeout(make_client: Any) -> None:
    client = await make_client()
    await post_faults(client, {"kind": "delay_headers", "seconds": 5})
    with pytest.raises(asyncio.TimeoutError):
        await client.post("/v1/responses", json=BODY, timeout=aiohttp.ClientTimeout(total=0.3))


async def test_cut_drops_the_connection_mid_stream(make_client: Any) -> None:
    client = await make_client()
    await post_faults(client, {"kind": "cut", "after": 3})
    response = await client.post("/v1/responses", json=BODY)
    assert response.status == 200
    received = b""
    with pytest.raises(aiohttp.ClientPayloadError):
        async for chunk in response.content.iter_any():
            received += chunk
    assert received.count(b"\n\n") == 3
    assert b"response.completed" not in received
    assert (await client.post("/v1/responses", json=BODY)).status == 200


async def test_cut_on_non_streaming_request_disconnects(make_client: Any) -> None:
    client = await make_client()
    await post_faults(client, {"kind": "cut"})
    with pytest.raises(aiohttp.ClientError):
        response = await client.post("/v1/responses", json={**BODY, "stream": False})
        await response.read()


async def test_malformed_event_then_normal(make_client: Any, decode_sse: Any) -> None:
    client = await make_client()
    await post_faults(client, {"kind": "malformed", "after": 2})
    raw = await (await client.post("/v1/responses", json=BODY)).read()
    blocks = raw.split(b"\n\n")
    assert blocks[2] == b"data: {not json"
    events = decode_sse(b"\n\n".join(blocks[:2] + blocks[3:]))
    assert events[-1]["type"] == "response.completed"


async def test_no_completed_ends_cleanly(make_client: Any, decode_sse: Any) -> None:
    client = await make_client()
    await post_faults(client, {"kind": "no_completed"})
    response = await client.post("/v1/responses", json=BODY)
    events = decode_sse(await response.read())  # no payload error: a clean end
    assert events[-1]["type"] == "response.output_item.done"
    assert all(e["type"] != "response.completed" for e in events)


async def test_failed_event(make_client: Any, decode_sse: Any) -> None:
    client = await make_client()
    fault = {
        "kind": "failed",
        "code": "rate_limit_exceeded",
        "message": "Please try again in 1.5s.",
    }
    await post_faults(client, fault)
    events = decode_sse(await (await client.post("/v1/responses", json=BODY)).read())
    assert [e["type"] for e in events] == ["response.created", "response.failed"]
    error = events[1]["response"]["error"]
    assert error == {"code": "rate_limit_exceeded", "message": "Please try again in 1.5s."}


async def test_fault_control_api(make_client: Any) -> None:
    client = await make_client()
    await post_faults(client, {"kind": "cut", "after": 1, "times": 2}, {"kind": "no_completed"})
    listed = await (await client.get("/_sim/faults")).json()
    assert [(f["kind"], f["left"]) for f in listed["faults"]] == [("cut", 2), ("no_completed", 1)]
    bad = await client.post("/_sim/faults", json={"faults": [{"kind": "nope"}]})
    assert bad.status == 400
    assert "unknown fault kind" in (await bad.json())["error"]["message"]
    not_json = await client.post("/_sim/faults", data=b"{")
    assert not_json.status == 400
    cleared = await client.delete("/_sim/faults")
    assert (await cleared.json()) == {"faults": []}
    assert (await client.post("/v1/responses", json=BODY)).status == 200


async def test_request_recorder(make_client: Any) -> None:
    client = await make_client()
    headers = {"Authorization": "Bearer sk-test", "X-Custom-Thing": "yes"}
    await client.post("/responses?api-version=2025-01-01", json=BODY, headers=headers)
    await client.get("/v1/models")
    await client.get("/_sim/health")
    payload = await (await client.get("/_sim/requests")).json()
    requests = payload["requests"]
    assert [(r["method"], r["path"]) for r in requests] == [
        ("POST", "/responses"),
        ("GET", "/v1/models"),
    ]
    first = requests[0]
    assert first["query"] == {"api-version": "2025-01-01"}
    assert first["headers"]["authorization"] == "Bearer sk-test"
    assert first["headers"]["x-custom-thing"] == "yes"
    assert first["body"] == BODY
    assert requests[1]["body"] is None
    await client.delete("/_sim/requests")
    assert (await (await client.get("/_sim/requests")).json()) == {"requests": []}


async def test_request_recorder_keeps_only_the_newest(make_client: Any) -> None:
    client = await make_client(SimOptions(record_limit=3))
    for index in range(5):
        await client.get(f"/v1/models?n={index}")
    requests = (await (await client.get("/_sim/requests")).json())["requests"]
    assert [r["query"]["n"] for r in requests] == ["2", "3", "4"]


async def test_auth(make_client: Any) -> None:
    client = await make_client(SimOptions(api_key="sk-upstream"))
    missing = await client.post("/v1/responses", json=BODY)
    assert missing.status == 401
    assert "error" in await missing.json()
    wrong = await client.post("/v1/responses", json=BODY, headers={"Authorization": "Bearer no"})
    assert wrong.status == 401
    assert (await wrong.json())["error"]["code"] == "invalid_api_key"
    assert (await client.get("/v1/models")).status == 401
    good = {"Authorization": "Bearer sk-upstream"}
    assert (await client.post("/v1/responses", json=BODY, headers=good)).status == 200
    assert (await client.get("/v1/models", headers=good)).status == 200
    assert (await client.get("/_sim/health")).status == 200


async def test_bad_json_is_an_openai_400(make_client: Any) -> None:
    client = await make_client()
    response = await client.post(
        "/v1/responses", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["type"] == "invalid_request_error"
    assert set(error) == {"message", "type", "code", "param"}
    not_object = await client.post("/v1/responses", json=[1, 2])
    assert not_object.status == 400
    bad_header = await client.post("/v1/responses", json=BODY, headers={"x-sim-chunks": "x"})
    assert bad_header.status == 400
    assert "x-sim-chunks" in (await bad_header.json())["error"]["message"]


async def test_unknown_path_is_an_openai_404(make_client: Any) -> None:
    client = await make_client()
    response = await client.post("/v1/embeddings", json={})
    assert response.status == 404
    assert (await response.json())["error"]["message"] == "Invalid URL (POST /v1/embeddings)"


async def test_health(make_client: Any) -> None:
    client = await make_client()
    response = await client.get("/_sim/health")
    assert response.status == 200


async def test_start_sim_serves_on_a_free_port() -> None:
    server = await start_sim("127.0.0.1", 0, SimOptions())
    try:
        assert server.url.startswith("http://127.0.0.1:")
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url + "/_sim/health") as response:
                assert response.status == 200
            async with session.post(server.url + "/v1/responses", json=BODY) as response:
                assert response.status == 200
                await response.read()
        assert len(server.requests) == 1
    finally:
        await server.close()


def test_run_sim_announces_itself_and_stops_on_sigterm() -> None:
    code = "from fourk.sim import SimOptions, run_sim; run_sim('127.0.0.1', 0, SimOptions())"
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    process = subprocess.Popen(
        [sys.executable, "-c", code], stderr=subprocess.PIPE, env=env, text=True
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert line.startswith("fourk sim listening on http://127.0.0.1:")
        port = int(line.rsplit(":", 1)[1])
        assert port > 0
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
