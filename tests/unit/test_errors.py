"""The error tree: statuses, types and codes chosen for how Codex reacts."""

from __future__ import annotations

import pytest

from fourk.errors import (
    AuthenticationFailed,
    BodyTooLarge,
    FourkError,
    InternalError,
    InvalidRequest,
    ModelNotFound,
    NotFound,
    PermissionDenied,
    QuotaExceeded,
    RateLimited,
    UpstreamFailed,
    UpstreamTimeout,
    UpstreamUnavailable,
)

TABLE: list[tuple[type[FourkError], int, str, str | None]] = [
    (InvalidRequest, 400, "invalid_request_error", None),
    (BodyTooLarge, 413, "invalid_request_error", "request_too_large"),
    (AuthenticationFailed, 401, "invalid_request_error", "invalid_api_key"),
    (PermissionDenied, 403, "invalid_request_error", "permission_denied"),
    (NotFound, 404, "invalid_request_error", "not_found"),
    (ModelNotFound, 404, "invalid_request_error", "model_not_found"),
    (RateLimited, 429, "rate_limit_error", "rate_limit_exceeded"),
    (QuotaExceeded, 429, "insufficient_quota", "insufficient_quota"),
    (UpstreamFailed, 502, "server_error", "upstream_error"),
    (UpstreamUnavailable, 503, "server_error", "upstream_unavailable"),
    (UpstreamTimeout, 504, "server_error", "upstream_timeout"),
    (InternalError, 500, "server_error", "internal_error"),
]


@pytest.mark.parametrize(("cls", "status", "type_", "code"), TABLE)
def test_status_type_and_code(
    cls: type[FourkError], status: int, type_: str, code: str | None
) -> None:
    error = cls("something went wrong")
    assert issubclass(cls, FourkError)
    assert error.status == status
    body = error.openai_body()
    assert body == {
        "error": {"message": "something went wrong", "type": type_, "code": code, "param": None}
    }
    assert str(error) == "something went wrong"


@pytest.mark.parametrize(("cls", "status", "type_", "code"), TABLE)
def test_body_has_exactly_the_openai_keys(
    cls: type[FourkError], status: int, type_: str, code: str | None
) -> None:
    body = cls("m", code="c", param="p").openai_body()
    assert list(body) == ["error"]
    assert set(body["error"]) == {"message", "type", "code", "param"}
    assert body["error"]["code"] == "c"
    assert body["error"]["param"] == "p"


def test_rate_limited_sends_retry_after() -> None:
    assert RateLimited("slow down", retry_after=7).headers() == {"Retry-After": "7"}


@pytest.mark.parametrize(("retry_after", "header"), [(0, "1"), (-4, "1"), (1, "1"), (120, "120")])
def test_retry_after_is_at_least_one_second(retry_after: int, header: str) -> None:
    assert RateLimited("x", retry_after=retry_after).headers() == {"Retry-After": header}


def test_no_retry_after_no_headers() -> None:
    assert RateLimited("x").headers() == {}
    assert InvalidRequest("x").headers() == {}


def test_retry_after_works_on_any_error() -> None:
    assert UpstreamUnavailable("x", retry_after=2).headers() == {"Retry-After": "2"}


def test_explicit_code_overrides_default_but_none_keeps_it() -> None:
    assert RateLimited("x", code="tokens_per_min").code == "tokens_per_min"
    assert RateLimited("x", code=None).code == "rate_limit_exceeded"
    assert (
        InvalidRequest("x", code="context_length_exceeded").openai_body()["error"]["code"]
        == "context_length_exceeded"
    )
