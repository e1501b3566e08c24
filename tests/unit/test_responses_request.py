"""Decoding an inbound Responses request and encoding what goes upstream."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest

from fourk.errors import InvalidRequest
from fourk.protocols.responses.request import (
    CODEX_ITEM_EXTRAS,
    ResponsesRequest,
    decode_request,
    encode_request,
)

SAMPLE_PATH = Path(__file__).parent / "fixtures" / "codex-request-sample.json"
REASONING_ITEM = {
    "type": "reasoning",
    "id": "rs_1",
    "summary": [{"type": "summary_text", "text": "thinking"}],
    "content": None,
    "encrypted_content": "gAAAAABo+opaque/blob==",
}


def sample() -> dict[str, Any]:
    body = orjson.loads(SAMPLE_PATH.read_bytes())
    assert isinstance(body, dict)
    return body


def sample_with_reasoning() -> dict[str, Any]:
    body = sample()
    body["input"].append(
        {**REASONING_ITEM, "internal_chat_message_metadata_passthrough": {"turn_id": "t"}}
    )
    body["input"].append({**REASONING_ITEM, "id": "rs_2"})
    return body


def decoded(body: dict[str, Any]) -> ResponsesRequest:
    return decode_request(orjson.dumps(body))


def test_decode_the_real_codex_request() -> None:
    raw = SAMPLE_PATH.read_bytes()
    request = decode_request(raw)
    assert request.model == "gpt-5-codex"
    assert request.stream is True
    assert request.raw is raw
    assert request.body == orjson.loads(raw)


def test_decode_defaults_stream_to_false() -> None:
    request = decoded({"model": "m", "input": "hi"})
    assert request.stream is False
    assert request.model == "m"


@pytest.mark.parametrize(
    ("raw", "param", "words"),
    [
        (b"", None, "empty"),
        (b"  \n\t ", None, "empty"),
        (b"{not json", None, "not valid JSON"),
        (b"\xff\xfe", None, "not valid JSON"),
        (b'{"model": "m", "input": "x"} trailing', None, "not valid JSON"),
        (b"[]", None, "JSON object"),
        (b'"model"', None, "JSON object"),
        (b"null", None, "JSON object"),
        (b'{"input": "x"}', "model", "Missing required parameter: 'model'"),
        (b'{"model": "", "input": "x"}', "model", "Missing required parameter: 'model'"),
        (b'{"model": null, "input": "x"}', "model", "Missing required parameter: 'model'"),
        (b'{"model": 5, "input": "x"}', "model", "'model' must be a string"),
        (b'{"model": ["m"], "input": "x"}', "model", "'model' must be a string"),
        (b'{"model": "m"}', "input", "Missing required parameter: 'input'"),
        (b'{"model": "m", "input": null}', "input", "'input' must be a string or a list"),
        (b'{"model": "m", "input": {"a": 1}}', "input", "'input' must be a string or a list"),
        (b'{"model": "m", "input": 3}', "input", "'input' must be a string or a list"),
        (b'{"model": "m", "input": "x", "stream": "true"}', "stream", "'stream' must be"),
        (b'{"model": "m", "input": "x", "stream": 1}', "stream", "'stream' must be"),
        (b'{"model": "m", "input": "x", "stream": null}', "stream", "'stream' must be"),
        (
            b'{"model": "m", "input": "x", "max_output_tokens": "100"}',
            "max_output_tokens",
            "'max_output_tokens' must be an integer",
        ),
        (
            b'{"model": "m", "input": "x", "max_output_tokens": 1.5}',
            "max_output_tokens",
            "'max_output_tokens' must be an integer",
        ),
        (
            b'{"model": "m", "input": "x", "max_output_tokens": true}',
            "max_output_tokens",
            "'max_output_tokens' must be an integer",
        ),
    ],
)
def test_decode_errors(raw: bytes, param: str | None, words: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        decode_request(raw)
    error = caught.value
    assert error.param == param
    assert words in error.message
    assert error.status == 400
    assert error.openai_body()["error"]["param"] == param


@pytest.mark.parametrize(
    "extra",
    [{"max_output_tokens": None}, {"max_output_tokens": 0}, {"max_output_tokens": 128000}],
)
def test_decode_accepts_valid_optional_fields(extra: dict[str, Any]) -> None:
    assert decoded({"model": "m", "input": [], "stream": True, **extra}).stream is True


def test_encode_without_changes_keeps_the_body() -> None:
    request = decoded(sample_with_reasoning())
    assert orjson.loads(encode_request(request)) == request.body


def test_encode_maps_the_model_only() -> None:
    request = decoded(sample())
    out = orjson.loads(encode_request(request, model="gpt-5.1-codex-upstream"))
    assert out["model"] == "gpt-5.1-codex-upstream"
    assert {**out, "model": request.model} == request.body
    assert "client_metadata" in out  # stripping is a separate choice
    assert request.body["model"] == "gpt-5-codex"  # the request is left alone


def test_strip_extras_removes_only_codex_extras() -> None:
    body = sample_with_reasoning()
    before = copy.deepcopy(body)
    request = decoded(body)
    out = orjson.loads(encode_request(request, strip_extras=True))

    assert "client_metadata" not in out
    assert out["model"] == "gpt-5-codex"
    for item in out["input"]:
        assert not any(name in item for name in CODEX_ITEM_EXTRAS)
    expected = {k: v for k, v in before.items() if k != "client_metadata"}
    expected["input"] = [
        {k: v for k, v in item.items() if k != "internal_chat_message_metadata_passthrough"}
        for item in before["input"]
    ]
    assert out == expected
    reasoning = [item for item in out["input"] if item["type"] == "reasoning"]
    assert [r["encrypted_content"] for r in reasoning] == [REASONING_ITEM["encrypted_content"]] * 2
    assert request.body == before  # the decoded request is not mutated


def test_strip_and_map_together() -> None:
    request = decoded(sample())
    out = orjson.loads(encode_request(request, model="other", strip_extras=True))
    assert out["model"] == "other"
    assert "client_metadata" not in out
    assert out["tools"] == request.body["tools"]
    assert out["reasoning"] == request.body["reasoning"]
    assert out["include"] == request.body["include"]


def test_strip_extras_leaves_odd_inputs_alone() -> None:
    text: dict[str, Any] = {"model": "m", "input": "just text", "client_metadata": {"a": 1}}
    assert orjson.loads(encode_request(decoded(text), strip_extras=True)) == {
        "model": "m",
        "input": "just text",
    }
    odd: dict[str, Any] = {"model": "m", "input": ["text item", 3, None, {"type": "message"}]}
    assert orjson.loads(encode_request(decoded(odd), strip_extras=True)) == odd


def test_strip_extras_does_not_touch_nested_lookalikes() -> None:
    # only the item's own key goes; the same name deeper down is content, not metadata
    nested = {"internal_chat_message_metadata_passthrough": 1}
    body = {
        "model": "m",
        "input": [{"type": "message", "content": [nested]}],
        "metadata": {"client_metadata": "kept"},
    }
    assert orjson.loads(encode_request(decoded(body), strip_extras=True)) == body
