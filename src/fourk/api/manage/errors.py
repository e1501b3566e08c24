"""The management API's errors: one table from service failures to the error tree, so every
answer is JSON `{"error": {"message", "type", "code", "param"}}` with a fitting status."""

from __future__ import annotations

from fourk.errors import FourkError, InvalidRequest, NotFound, PermissionDenied
from fourk.services.accounts import NotFoundError
from fourk.services.manage_tokens import NotAdmin
from fourk.services.user_admin import RuleBroken
from fourk.store.channels import ChannelNameTaken
from fourk.store.models_catalog import CatalogNameTaken
from fourk.store.users import UsernameTaken


class Conflict(FourkError):
    status = 409
    type = "invalid_request_error"
    default_code = "conflict"


# first match wins: the specific failures before the ValueError they derive from
_TABLE: tuple[tuple[type[Exception], type[FourkError]], ...] = (
    (NotFoundError, NotFound),
    (RuleBroken, Conflict),
    (UsernameTaken, Conflict),
    (ChannelNameTaken, Conflict),
    (CatalogNameTaken, Conflict),
    (NotAdmin, PermissionDenied),
    (ValueError, InvalidRequest),
)


def translate(exc: Exception) -> FourkError | None:
    """The client-facing error for a service failure; None for a real bug."""
    for failure, error in _TABLE:
        if isinstance(exc, failure):
            return error(str(exc))
    return None
