"""An upstream account out of credit is the operator's problem, not the user's.

Codex treats `insufficient_quota` as the user's own plan being used up ("Quota exceeded.
Check your plan and billing details.") and stops. When the upstream behind a channel says
so, the user's balance here is fine: the error goes on as a retryable `server_error` whose
message says who has to act.
"""

from __future__ import annotations

CODE = "server_error"
TEXT = (
    "The upstream account serving this model is out of credit or over its spending limit; "
    "tell the operator of this service (your own balance here is not the problem)."
)


def operator_quota(upstream_message: str) -> tuple[str, str]:
    """The (code, message) to report an upstream account's quota error with."""
    said = upstream_message.strip()
    return CODE, f"{TEXT} The upstream said: {said}" if said else TEXT
