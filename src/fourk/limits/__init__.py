"""Per key and per user limits: rates, concurrency and spend windows.

`rules` is the pure math (clock passed in); `store` holds the counters behind one async
interface, `LimitStore`, with a one-process `MemoryLimitStore`.
"""

from fourk.limits.rules import Limits, Refusal, Scope
from fourk.limits.store import Admission, LimitStore, MemoryLimitStore, Snapshot

__all__ = ["Admission", "LimitStore", "Limits", "MemoryLimitStore", "Refusal", "Scope", "Snapshot"]
