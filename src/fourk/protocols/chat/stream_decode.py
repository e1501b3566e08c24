"""A Chat Completions answer from an upstream, as the Responses events Codex reads (pure).

`ChatStreamDecoder` takes the upstream's SSE events one by one (`data: [DONE]` included) and
returns Responses events through a `ResponsesBuilder`:

- `delta.content` (and `delta.refusal`) is answer text; `delta.reasoning_content` (DeepSeek,
  Qwen) or `delta.reasoning` (OpenRouter, vLLM) is reasoning, shown as a reasoning summary.
  The reasoning text is also written into the reasoning item's `encrypted_content` as
  `fourk.chat.v1:` + base64url(JSON `{"reasoning_content": text}`), so the request encoder
  can give it back to the upstream later (its `reasoning_back` option).
- `delta.tool_calls[]` are grouped by `index`. The first piece usually has `id` and
  `function.name`; a repeated name or id is ignored, arguments may come in pieces or whole,
  a missing id becomes `call_<response suffix>_<n>`, and a piece with a new `id` at an index
  already used starts another call (servers that number every call 0).
- `finish_reason` is remembered (`length` → incomplete `max_output_tokens`, `content_filter`
  → incomplete `content_filter`); `usage` is read from whichever chunk carries it (the last
  one with `choices: []`, or the finish chunk, or Groq's `x_groq.usage`).
- `[DONE]` ends the response. At EOF without `[DONE]` (`finish()`), a response whose
  `finish_reason` was seen is completed; otherwise nothing is emitted and `done` stays False,
  so the relay reports the cut itself.
- An error payload (`{"error": {...}}`, vLLM's `{"object": "error", ...}`, or an
  `event: error`) ends the response with `response.failed` and a code Codex understands.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from fourk.billing.usage import Usage
from fourk.protocols.hub.builder import Event, ResponsesBuilder
from fourk.protocols.hub.tools import ToolSet
from fourk.protocols.hub.upstream_quota import operator_quota
from fourk.protocols.hub.values import as_mapping, positive_int
from fourk.protocols.sse import SSEEvent

REASONING_PREFIX = "fourk.chat.v1:"
RATE_LIMIT_RETRY_SECONDS = 5
"""The wait suggested to Codex when an upstream rate-limit message names none."""

_INCOMPLETE = {"length": "max_output_tokens", "content_filter": "content_filter"}
_CONTEXT = re.compile(
    r"context[_ ](length|window)|maximum context|prompt is too long|input is too long"
    r"|too many (input )?tokens|reduce the length|maximum input length",
    re.IGNORECASE,
)
_QUOTA = re.compile(
    r"insufficient[_ ](quota|balance|credit)|exceeded your current quota|out of credits",
    re.IGNORECASE,
)
_RATE = re.compile(r"rate[_ ]?limit|too many requests", re.IGNORECASE)
_RETRY_HINT = re.compile(r"try again in\s*\d", re.IGNORECASE)


def encode_reasoning_blob(text: str) -> str:
    """Reasoning text as the opaque `encrypted_content` of a reasoning item."""
    payload = orjson.dumps({"reasoning_content": text})
    return REASONING_PREFIX + base64.urlsafe_b64encode(payload).decode("ascii")


def decode_reasoning_blob(blob: object) -> str | None:
    """The reasoning text in one of our blobs; None for anything else (another channel's
    blob, a real OpenAI one, garbage), never an error."""
    if not isinstance(blob, str) or not blob.startswith(REASONING_PREFIX):
        return None
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(blob[len(REASONING_PREFIX) :]))
    except (binascii.Error, ValueError):
        return None
    text = payload.get("reasoning_content") if isinstance(payload, dict) else None
    return text if isinstance(text, str) else None


@dataclass(slots=True)
class _Call:
    key: int
    call_id: str | None = None
    name: str | None = None
    pending: list[str] = field(default_factory=list)  # arguments before the name came
    started: bool = False


class ChatStreamDecoder:
    """One upstream Chat stream → one Responses event stream."""

    def __init__(self, *, response_id: str, model: str, created_at: int, tools: ToolSet) -> None:
        self._builder = ResponsesBuilder(response_id, model, created_at, tools)
        self._suffix = response_id.removeprefix("resp_")
        self._calls: dict[int, _Call] = {}  # by the upstream's tool call index
        self._next_key = 0
        self._reasoning: list[str] = []  # text of the reasoning item still open
        self._finish: str | None = None
        self._saw_finish = False
        self._usage: Usage | None = None

    @property
    def done(self) -> bool:
        return self._builder.done

    @property
    def terminal(self) -> Event | None:
        return self._builder.terminal

    @property
    def usage(self) -> Usage | None:
        """The usage the upstream reported so far (None until it did)."""
        return self._usage

    def feed(self, event: SSEEvent) -> list[Event]:
        """One SSE event from the upstream."""
        if self.done:
            return []
        if event.data.strip() == "[DONE]":
            return self.complete()
        try:
            payload = event.json()
        except ValueError:
            payload = event.data  # a keep-alive or other line that is not JSON
        if event.event == "error":
            return self._fail_with(payload)
        return self.feed_chunk(payload) if isinstance(payload, dict) else []

    def feed_chunk(self, chunk: Mapping[str, Any]) -> list[Event]:
        """One parsed `chat.completion.chunk` (or an error payload)."""
        if self.done:
            return []
        if chunk.get("error") or chunk.get("object") == "error":
            return self._fail_with(chunk)
        events = self._builder.start()
        choices = chunk.get("choices")
        if isinstance(choices, list) and choices:
            events += self._choice(_first_choice(choices))
        usage = chunk.get("usage") or as_mapping(chunk.get("x_groq")).get("usage")
        if isinstance(usage, Mapping):
            self._usage = decode_chat_usage(usage)
        return events

    def complete(self) -> list[Event]:
        """End the response as the upstream ended it (`[DONE]`)."""
        if self.done:
            return []
        events = self._seal_reasoning()
        for call in list(self._calls.values()):
            if not call.started:
                events += self._start(call)
        incomplete = _INCOMPLETE.get(self._finish or "")
        return events + self._builder.complete(self._usage, incomplete)

    def finish(self) -> list[Event]:
        """The upstream closed the stream: complete if it had said it was finished."""
        if self.done or not self._saw_finish:
            return []
        return self.complete()

    # -- chunk parts -----------------------------------------------------------------------

    def _choice(self, choice: Mapping[str, Any]) -> list[Event]:
        delta = as_mapping(choice.get("delta") or choice.get("message"))
        events: list[Event] = []
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            self._reasoning.append(reasoning)
            events += self._builder.reasoning(reasoning)
        for text in (_text(delta.get("content")), _text(delta.get("refusal"))):
            if text:
                events += self._seal_reasoning() + self._builder.text(text)
        tool_calls = delta.get("tool_calls")
        if isinstance(tool_calls, list):
            for position, piece in enumerate(tool_calls):
                if isinstance(piece, Mapping):
                    events += self._tool_piece(position, piece)
        finish = choice.get("finish_reason")
        if isinstance(finish, str) and finish:
            self._finish, self._saw_finish = finish, True
        return events

    def _tool_piece(self, position: int, piece: Mapping[str, Any]) -> list[Event]:
        index = piece.get("index")
        index = index if isinstance(index, int) else position
        function = as_mapping(piece.get("function"))
        call_id = piece.get("id") if isinstance(piece.get("id"), str) and piece["id"] else None
        call = self._calls.get(index)
        if call is None or (call_id and call.call_id and call_id != call.call_id):
            call = self._calls[index] = _Call(self._next_key)
            self._next_key += 1
        call.call_id = call.call_id or call_id
        name = function.get("name")
        if isinstance(name, str) and name and not call.name:
            call.name = name
        arguments = function.get("arguments")
        if isinstance(arguments, Mapping):  # a few servers send the object itself
            arguments = orjson.dumps(arguments).decode()
        events: list[Event] = []
        if not call.started and call.name:
            events += self._start(call)
        if isinstance(arguments, str) and arguments:
            if call.started:
                events += self._builder.tool_arguments(call.key, arguments)
            else:
                call.pending.append(arguments)
        return events

    def _start(self, call: _Call) -> list[Event]:
        call.started = True
        call_id = call.call_id or f"call_{self._suffix}_{call.key}"
        events = self._seal_reasoning()
        events += self._builder.tool_call(call.key, call_id, call.name or "")
        for piece in call.pending:
            events += self._builder.tool_arguments(call.key, piece)
        call.pending.clear()
        return events

    def _seal_reasoning(self) -> list[Event]:
        """Put the open reasoning item's text into its blob before the item closes."""
        if not self._reasoning:
            return []
        text = "".join(self._reasoning)
        self._reasoning = []
        return self._builder.reasoning_blob(encode_reasoning_blob(text))

    def _fail_with(self, payload: object) -> list[Event]:
        code, message = decode_error_payload(None, payload)
        return self._seal_reasoning() + self._builder.fail(code, message, self._usage)


def decode_chat_usage(usage: Mapping[str, Any]) -> Usage:
    """Chat usage in the normal form: prompt tokens include cached ones (OpenAI's
    `prompt_tokens_details.cached_tokens` or DeepSeek's `prompt_cache_hit_tokens`),
    completion tokens include reasoning ones."""
    prompt = positive_int(usage.get("prompt_tokens"))
    cached = positive_int(as_mapping(usage.get("prompt_tokens_details")).get("cached_tokens"))
    cached = cached or positive_int(usage.get("prompt_cache_hit_tokens"))
    completion = positive_int(usage.get("completion_tokens"))
    details = as_mapping(usage.get("completion_tokens_details"))
    reasoning = positive_int(details.get("reasoning_tokens"))
    return Usage(
        input_tokens=prompt,
        cached_tokens=min(cached, prompt),
        output_tokens=completion,
        reasoning_tokens=min(reasoning, completion),
    )


def decode_chat_completion(
    obj: Mapping[str, Any], *, response_id: str, model: str, created_at: int, tools: ToolSet
) -> dict[str, Any]:
    """A whole (non-streamed) `chat.completion` as a Responses response object."""
    decoder = ChatStreamDecoder(
        response_id=response_id, model=model, created_at=created_at, tools=tools
    )
    decoder.feed_chunk(obj)
    decoder.complete()
    terminal = decoder.terminal
    assert terminal is not None
    response: dict[str, Any] = terminal["response"]
    return response


def decode_chat_error(status: int, body: bytes) -> tuple[str, str]:
    """An upstream HTTP error body (OpenAI shape, vLLM shape, plain text, HTML) as the
    Codex error code and a message a person can act on. The codes are
    `context_length_exceeded`, `rate_limit_exceeded` or `server_error` (an upstream account
    out of credit is one too, saying the operator must act: see hub/upstream_quota.py); the
    relay decides from `status` whether to retry or fail over."""
    try:
        payload: object = orjson.loads(body)
    except orjson.JSONDecodeError:
        payload = body.decode("utf-8", errors="replace")
    return decode_error_payload(status, payload)


def decode_error_payload(status: int | None, payload: object) -> tuple[str, str]:
    """(code, message) for an error payload from a body or from inside a stream."""
    error: object = payload
    if isinstance(payload, Mapping) and "error" in payload:
        error = payload["error"]
    if isinstance(error, Mapping):
        message = str(error.get("message") or error.get("detail") or "").strip()
        hints = f"{error.get('code') or ''} {error.get('type') or ''}"
        if status is None and isinstance(error.get("code"), int):
            status = error["code"]  # OpenRouter and vLLM put the HTTP status there
    else:
        message, hints = (error if isinstance(error, str) else "").strip(), ""
    if len(message) > 500:
        message = message[:500] + "…"
    if not message:
        where = f" (HTTP {status})" if status else ""
        message = f"The upstream model server reported an error{where} without a message."
    code = _classify(status, f"{hints} {message}")
    if code == "insufficient_quota":  # the operator's upstream account, not the user's
        return operator_quota(message)
    if code == "rate_limit_exceeded" and not _RETRY_HINT.search(message):
        message = f"{message} Please try again in {RATE_LIMIT_RETRY_SECONDS}s."
    return code, message


def _classify(status: int | None, text: str) -> str:
    if _CONTEXT.search(text):
        return "context_length_exceeded"
    if status == 402 or _QUOTA.search(text):
        return "insufficient_quota"
    if status == 429 or _RATE.search(text):
        return "rate_limit_exceeded"
    return "server_error"


def _first_choice(choices: list[Any]) -> Mapping[str, Any]:
    """Choice 0 (fourk never asks for n > 1); the first one when none says its index."""
    for choice in choices:
        if isinstance(choice, Mapping) and choice.get("index", 0) == 0:
            return choice
    return as_mapping(choices[0])


def _text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # a few servers send content parts
        parts = (as_mapping(part).get("text") for part in content)
        return "".join(part for part in parts if isinstance(part, str))
    return ""
