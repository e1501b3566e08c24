"""Throttling guesses at passwords and second-factor codes, per account and per address.

Each kind of secret ("password", "code") has its own counters: one per account (the
username typed, or the user id), and one per client address with a higher limit. A wrong
guess counts against both; the right one clears the account's counter (the address keeps
its count, so one address cannot spread guesses over accounts it owns). The math is in
`accounts.throttle`; this wires it to a store and the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from fourk.accounts import throttle
from fourk.accounts.attempt_store import AttemptStore
from fourk.accounts.throttle import ACCOUNT_POLICY, ADDRESS_POLICY, Attempts, Policy

PASSWORD = "password"
CODE = "code"


class LoginThrottle:
    def __init__(
        self,
        attempts: AttemptStore[Attempts],
        now: Callable[[], datetime],
        account_policy: Policy = ACCOUNT_POLICY,
        address_policy: Policy = ADDRESS_POLICY,
    ) -> None:
        self._attempts = attempts
        self._now = now
        self._account = account_policy
        self._address = address_policy

    async def wait(self, kind: str, account: str, address: str | None) -> int:
        """Seconds before the next guess may be checked (0: check it now)."""
        now = self._now()
        delays = [
            throttle.wait(await self._attempts.get(key), now)
            for key, _ in self._keys(kind, account, address)
        ]
        return throttle.seconds_to_wait(max(delays, default=timedelta(0)))

    async def failed(self, kind: str, account: str, address: str | None) -> int:
        """Count a wrong guess; returns the seconds to wait if it caused a lockout."""
        now = self._now()
        longest = timedelta(0)
        for key, policy in self._keys(kind, account, address):
            _, after = await self._attempts.update(
                key, _failure(policy, now), throttle.keep_for(policy)
            )
            longest = max(longest, throttle.wait(after, now))
        return throttle.seconds_to_wait(longest)

    async def succeeded(self, kind: str, account: str) -> None:
        await self._attempts.delete(_account_key(kind, account))

    def _keys(self, kind: str, account: str, address: str | None) -> list[tuple[str, Policy]]:
        keys = [(_account_key(kind, account), self._account)]
        if address:
            keys.append((f"{kind}:address:{address}", self._address))
        return keys


def _failure(policy: Policy, now: datetime) -> Callable[[Attempts | None], Attempts]:
    return lambda before: throttle.fail(policy, before, now)


def _account_key(kind: str, account: str) -> str:
    return f"{kind}:account:{account}"
