"""The requests the simulator received, newest last, for tests to inspect."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from fourk.sim.responses_wire import JSONObject

DEFAULT_CAPACITY = 200


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    """Header names lowercased; a repeated header keeps its last value."""
    body: object
    """The parsed JSON body, or None when there was none or it was not JSON."""

    def encode(self) -> JSONObject:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.body,
        }


class RequestLog:
    """The last `capacity` requests; older ones fall off."""

    __slots__ = ("_entries",)

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._entries: deque[RecordedRequest] = deque(maxlen=capacity)

    def record(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: object,
    ) -> RecordedRequest:
        entry = RecordedRequest(
            method=method,
            path=path,
            query=dict(query),
            headers={name.lower(): value for name, value in headers.items()},
            body=body,
        )
        self._entries.append(entry)
        return entry

    def entries(self) -> list[RecordedRequest]:
        return list(self._entries)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
