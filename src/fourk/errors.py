"""One error tree, and one table that maps it onto HTTP statuses and client error bodies.

Statuses are chosen for how Codex CLI 0.171 reacts (see the wire-protocol reference, §3):
400 is not retried, 401/403 are retried a few times, 429 with Retry-After is waited on and
retried, 429 `insufficient_quota` stops at once, 5xx is retried many times and so is kept for
faults that are really transient.
"""

from __future__ import annotations

from typing import Any, ClassVar


class FourkError(Exception):
    """An error a client should see, in its own protocol's shape."""

    status: ClassVar[int] = 500
    type: ClassVar[str] = "server_error"
    default_code: ClassVar[str | None] = None

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code if code is not None else self.default_code
        self.param = param
        self.retry_after = retry_after

    def openai_body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "code": self.code,
                "param": self.param,
            }
        }

    def anthropic_body(self) -> dict[str, Any]:
        """The error as the Anthropic Messages API writes it (for /v1/messages clients)."""
        return {
            "type": "error",
            "error": {"type": anthropic_type(self.status), "message": self.message},
        }

    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        return {"Retry-After": str(max(1, int(self.retry_after)))}


class InvalidRequest(FourkError):
    status = 400
    type = "invalid_request_error"


class BodyTooLarge(FourkError):
    status = 413
    type = "invalid_request_error"
    default_code = "request_too_large"


class AuthenticationFailed(FourkError):
    status = 401
    type = "invalid_request_error"
    default_code = "invalid_api_key"


class PermissionDenied(FourkError):
    status = 403
    type = "invalid_request_error"
    default_code = "permission_denied"


class NotFound(FourkError):
    status = 404
    type = "invalid_request_error"
    default_code = "not_found"


class ModelNotFound(FourkError):
    status = 404
    type = "invalid_request_error"
    default_code = "model_not_found"


class RateLimited(FourkError):
    status = 429
    type = "rate_limit_error"
    default_code = "rate_limit_exceeded"


class QuotaExceeded(FourkError):
    status = 429
    type = "insufficient_quota"
    default_code = "insufficient_quota"


class UpstreamFailed(FourkError):
    """Every candidate channel failed with an error the upstream itself reported."""

    status = 502
    type = "server_error"
    default_code = "upstream_error"


class UpstreamUnavailable(FourkError):
    """No channel could be reached or all were overloaded: worth retrying."""

    status = 503
    type = "server_error"
    default_code = "upstream_unavailable"


class UpstreamTimeout(FourkError):
    status = 504
    type = "server_error"
    default_code = "upstream_timeout"


class InternalError(FourkError):
    status = 500
    type = "server_error"
    default_code = "internal_error"


_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
    529: "overloaded_error",
}


def anthropic_type(status: int) -> str:
    """Anthropic's error type for an HTTP status (what its SDKs map back to exceptions)."""
    return _ANTHROPIC_TYPES.get(status, "api_error")
