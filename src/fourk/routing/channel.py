"""A channel: one upstream account that serves some models."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Channel:
    id: int
    name: str
    kind: str  # a provider kind from providers.registry
    base_url: str
    models: tuple[str, ...]
    priority: int = 0  # higher is tried first
    weight: int = 1  # share of traffic among channels of the same priority
    enabled: bool = True
    secret: str | None = field(default=None, repr=False)  # the upstream API key, opened
    options: dict[str, Any] = field(default_factory=dict)
