"""Which model names route where, and which names people see.

The names come from the enabled channels; the operator's catalog adds aliases (a name that
routes as another model: the upstream receives the target's name), hides names from the
lists (they still route), and sets the order. Pure: data in, data out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from fourk.routing.channel import Channel


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One row of the operator's model catalog."""

    name: str
    alias_of: str | None = None  # an alias routes as this model
    visible: bool = True
    description: str | None = None
    position: int = 0


@dataclass(frozen=True, slots=True)
class ModelIndex:
    by_model: dict[str, list[Channel]] = field(default_factory=dict)
    """Every name a request may use (models and aliases) → the enabled channels serving it."""
    targets: dict[str, str] = field(default_factory=dict)
    """Alias → the model it routes as (only aliases are here: no entry, no rewrite)."""
    listed: tuple[str, ...] = ()
    """The names people see (GET /models, the Use key dialog), in the operator's order."""


def channel_models(channels: Iterable[Channel]) -> dict[str, list[Channel]]:
    """Model name → the enabled channels that serve it."""
    by_model: dict[str, list[Channel]] = {}
    for channel in channels:
        if channel.enabled:
            for model in channel.models:
                by_model.setdefault(model, []).append(channel)
    return by_model


def index_models(channels: Iterable[Channel], entries: Sequence[CatalogEntry]) -> ModelIndex:
    by_model = channel_models(channels)
    targets: dict[str, str] = {}
    for entry in entries:
        target = entry.alias_of
        # an alias never shadows a real model, and points at a real model (not an alias)
        if target and entry.name not in by_model and target in by_model:
            targets[entry.name] = target
    for alias, target in targets.items():
        by_model[alias] = by_model[target]
    return ModelIndex(by_model=by_model, targets=targets, listed=listed_names(by_model, entries))


def listed_names(
    by_model: dict[str, list[Channel]], entries: Sequence[CatalogEntry]
) -> tuple[str, ...]:
    """Routable names minus hidden ones, by (position, name)."""
    meta = {entry.name: entry for entry in entries}
    shown = [n for n in by_model if meta.get(n, CatalogEntry(n)).visible]
    return tuple(sorted(shown, key=lambda n: (meta.get(n, CatalogEntry(n)).position, n)))
