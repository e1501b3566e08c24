"""Two-factor sign-in with an authenticator app (TOTP) and one-time recovery codes.

Enrolling is two steps with nothing stored in between: `begin` makes a secret and seals it
(bound to the user) into the confirm form; `confirm` opens it, checks a code from the app,
then stores the secret sealed under the server key and ten recovery codes as digests. A
TOTP code works once: the step it belongs to is remembered and not accepted again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from fourk.accounts import recovery_codes, totp
from fourk.accounts.attempt_store import AttemptStore
from fourk.accounts.records import User
from fourk.sealer import SealError
from fourk.services.store_bundle import Store

TOTP_SECRET = "totp-secret"  # sealer purpose of a stored secret
APP = "app"
RECOVERY = "recovery"
ENROL_TIME = timedelta(hours=1)  # how long a shown QR code can still be confirmed
_USED_STEP_MEMORY = timedelta(seconds=totp.STEP_SECONDS * (2 * totp.WINDOW + 2))


@dataclass(frozen=True, slots=True)
class Enrollment:
    secret: str  # base32, also shown as text for apps that cannot scan
    uri: str  # otpauth://, for the QR code
    token: str  # the secret sealed for this user, carried by the confirm form


class TwoFactor:
    def __init__(
        self, store: Store, used_steps: AttemptStore[int], now: Callable[[], datetime]
    ) -> None:
        self._store = store
        self._used = used_steps
        self._now = now

    def begin(self, user: User, issuer: str) -> Enrollment:
        secret = totp.new_secret()
        issued = int(self._now().timestamp())
        token = self._store.sealer.seal(f"{secret}:{issued}", _pending_purpose(user))
        return _enrollment(user, issuer, secret, token)

    def resume(self, user: User, token: str, issuer: str) -> Enrollment | None:
        """The enrollment in a confirm form, if it is this user's and not too old."""
        try:
            secret, issued = self._store.sealer.open(token, _pending_purpose(user)).split(":")
        except (SealError, ValueError):
            return None
        if self._now() - datetime.fromtimestamp(int(issued), self._now().tzinfo) > ENROL_TIME:
            return None
        return _enrollment(user, issuer, secret, token)

    async def confirm(self, user: User, enrollment: Enrollment, code: str) -> list[str] | None:
        """Turn two-factor on if `code` is right; returns the new recovery codes."""
        step = totp.match(enrollment.secret, code, self._now())
        if step is None or not await self._claim(user, step):
            return None
        codes = await self._new_codes(user)
        sealed = self._store.sealer.seal(enrollment.secret, _stored_purpose(user))
        await self._store.users.set_totp(user.id, sealed)
        return codes

    async def verify(self, user: User, code: str) -> str | None:
        """APP or RECOVERY if `code` is a current app code or an unused recovery code (which
        is then used up); None otherwise."""
        if recovery_codes.looks_like_code(code):
            digest = recovery_codes.digest(code)
            used = await self._store.recovery_codes.use(user.id, digest, self._now())
            return RECOVERY if used else None
        secret = await self._secret(user)
        if secret is None:
            return None
        step = totp.match(secret, code, self._now())
        if step is None or not await self._claim(user, step):
            return None
        return APP

    async def disable(self, user: User) -> None:
        await self._store.users.set_totp(user.id, None)
        await self._store.recovery_codes.delete_for_user(user.id)

    async def regenerate(self, user: User) -> list[str]:
        """Ten new recovery codes; the old ones stop working."""
        return await self._new_codes(user)

    async def codes_left(self, user: User) -> int:
        return await self._store.recovery_codes.unused(user.id)

    async def _new_codes(self, user: User) -> list[str]:
        codes = recovery_codes.new_codes()
        digests = [recovery_codes.digest(c) for c in codes]
        await self._store.recovery_codes.replace(user.id, digests, self._now())
        return codes

    async def _secret(self, user: User) -> str | None:
        sealed = await self._store.users.totp_sealed(user.id)
        if sealed is None:
            return None
        try:
            return self._store.sealer.open(sealed, _stored_purpose(user))
        except SealError:  # sealed under another server key: the operator must reset it
            return None

    async def _claim(self, user: User, step: int) -> bool:
        """Remember that `step`'s code was used; False if it, or a later one, was before."""
        before, _ = await self._used.update(
            f"totp-step:{user.id}",
            lambda last: step if last is None or step > last else last,
            _USED_STEP_MEMORY,
        )
        return before is None or step > before


def _enrollment(user: User, issuer: str, secret: str, token: str) -> Enrollment:
    return Enrollment(secret, totp.provisioning_uri(secret, user.username, issuer), token)


def _pending_purpose(user: User) -> str:
    return f"totp-pending:{user.id}"


def _stored_purpose(user: User) -> str:
    return f"{TOTP_SECRET}:{user.id}"
