"""Errors between the Anthropic Messages wire and the hub, both ways (pure).

- From an Anthropic upstream (an HTTP error body, or an `error` event in its stream): the
  error code Codex understands (`rate_limit_exceeded`, `server_is_overloaded`,
  `context_length_exceeded`, `invalid_request_error`, `server_error`) and a message; a
  rate-limit message says how long to wait, so Codex waits that long.
- To an Anthropic client: a Responses error object as Anthropic's `error` event, which is
  also the body of an Anthropic HTTP error response.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from fourk.protocols.hub.upstream_quota import operator_quota

RATE_LIMIT_RETRY_SECONDS = 10  # said when Anthropic gives no Retry-After
_CONTEXT = re.compile(
    r"prompt is too long|exceed context limit|context window|too many tokens", re.I
)
_TRY_AGAIN = re.compile(r"try again in", re.I)
_STATUS_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}
_ERROR_TYPES = {
    "rate_limit_exceeded": "rate_limit_error",
    "insufficient_quota": "billing_error",
    "credit_balance_exhausted": "billing_error",
    "usage_not_included": "billing_error",
    "usage_limit_reached": "billing_error",
    "server_is_overloaded": "overloaded_error",
    "slow_down": "overloaded_error",
    "upstream_timeout": "timeout_error",
    "context_length_exceeded": "invalid_request_error",
    "invalid_prompt": "invalid_request_error",
    "invalid_request_error": "invalid_request_error",
    "model_not_found": "not_found_error",
}


def decode_messages_error(
    status: int, body: bytes, *, retry_after: int | None = None
) -> tuple[str, str]:
    """An Anthropic HTTP error → (code for Codex, message). `retry_after` (the response's
    Retry-After, if any) goes into a rate-limit message so Codex waits that long.
    An `invalid_request_error` keeps that code (a client error, not worth retrying)."""
    kind, message = _STATUS_TYPES.get(status, "api_error"), ""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        parsed = None
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(error, dict):
        kind = str(error.get("type") or kind)
        message = str(error.get("message") or "")
    elif body.strip():
        message = body.decode("utf-8", errors="replace").strip()[:300]
    message = message or f"The Anthropic upstream answered HTTP {status}."
    if kind == "billing_error":  # the operator's upstream account, not the user's
        return operator_quota(message)
    code = _error_code(kind, message)
    if code is None:
        invalid = kind in ("invalid_request_error", "request_too_large")
        code = "invalid_request_error" if invalid else "server_error"
    return code, _with_retry(code, message, retry_after)


def decode_stream_error(error: object) -> tuple[str, str]:
    """The `error` of an Anthropic `error` event in a stream → (code for Codex, message)."""
    kind, message = "api_error", ""
    if isinstance(error, dict):
        kind = str(error.get("type") or kind)
        message = str(error.get("message") or "")
    message = message or f"The Anthropic upstream reported {kind}."
    if kind == "billing_error":
        return operator_quota(message)
    code = _error_code(kind, message) or "server_error"
    return code, _with_retry(code, message, None)


def encode_messages_error(error: dict[str, Any] | None) -> dict[str, Any]:
    """A Responses error object (`code`, `message`, maybe `type`) → the Anthropic error
    event, which is also the body of an Anthropic HTTP error response."""
    error = error if isinstance(error, dict) else {}
    code, kind = error.get("code"), error.get("type")
    mapped = _ERROR_TYPES.get(str(code)) or _ERROR_TYPES.get(str(kind)) or "api_error"
    message = error.get("message")
    if not isinstance(message, str) or not message:
        message = f"The upstream model failed ({code or kind or 'no error code'})."
    return {"type": "error", "error": {"type": mapped, "message": message}}


def _error_code(kind: str, message: str) -> str | None:
    """The Codex code for an Anthropic error type, or None when Codex has no special one."""
    if kind == "overloaded_error":
        return "server_is_overloaded"
    if kind == "rate_limit_error":
        return "rate_limit_exceeded"
    if kind in ("invalid_request_error", "request_too_large") and _CONTEXT.search(message):
        return "context_length_exceeded"
    return None


def _with_retry(code: str, message: str, retry_after: int | None) -> str:
    if code != "rate_limit_exceeded" or _TRY_AGAIN.search(message):
        return message
    seconds = retry_after if retry_after and retry_after > 0 else RATE_LIMIT_RETRY_SECONDS
    return f"{message.rstrip('. ')}. Please try again in {seconds}s."
