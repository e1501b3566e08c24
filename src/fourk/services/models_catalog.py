"""The operator's model catalog: aliases, hiding, descriptions, order.

A catalog row either describes a model that channels serve (visible, description, position)
or is an alias: a name of its own that routes as a served model (the upstream receives the
target's name). An alias never shadows a served model and never points at another alias.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from fourk.routing.catalog import CatalogEntry, channel_models
from fourk.routing.channel import Channel
from fourk.services.accounts import NotFoundError
from fourk.services.directory import Directory
from fourk.services.store_bundle import Store

MAX_NAME = 128
MAX_DESCRIPTION = 500


class CatalogError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ModelView:
    name: str
    alias_of: str | None
    visible: bool
    description: str | None
    position: int
    channels: tuple[str, ...]  # enabled channels serving it (an alias: its target's)
    in_catalog: bool

    @property
    def routable(self) -> bool:
        return bool(self.channels)

    def encode(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "alias_of": self.alias_of,
            "visible": self.visible,
            "description": self.description,
            "position": self.position,
            "channels": list(self.channels),
            "routable": self.routable,
            "in_catalog": self.in_catalog,
        }


def catalog_view(channels: Iterable[Channel], entries: Sequence[CatalogEntry]) -> list[ModelView]:
    """Every served model and every catalog row, in the order people see them."""
    served = channel_models(channels)
    meta = {e.name: e for e in entries}
    views = []
    for name in sorted(set(served) | set(meta)):
        entry = meta.get(name, CatalogEntry(name))
        routes_as = entry.alias_of if entry.alias_of and name not in served else name
        views.append(
            ModelView(
                name=name,
                alias_of=entry.alias_of,
                visible=entry.visible,
                description=entry.description,
                position=entry.position,
                channels=tuple(c.name for c in served.get(routes_as, [])),
                in_catalog=name in meta,
            )
        )
    return sorted(views, key=lambda v: (v.position, v.name))


def check_entry(entry: CatalogEntry, served: Iterable[str]) -> CatalogEntry:
    """The entry tidied and checked against the models channels serve now."""
    name = entry.name.strip()
    if not 1 <= len(name) <= MAX_NAME or any(c.isspace() for c in name):
        raise CatalogError(f"A model name has 1 to {MAX_NAME} characters and no spaces.")
    alias_of = (entry.alias_of or "").strip() or None
    description = (entry.description or "").strip() or None
    if description and len(description) > MAX_DESCRIPTION:
        raise CatalogError(f"A description has at most {MAX_DESCRIPTION} characters.")
    served = set(served)
    if alias_of is not None:
        if alias_of == name:
            raise CatalogError("An alias cannot point at itself.")
        if name in served:
            raise CatalogError(
                f"'{name}' is served by a channel; an alias needs a name of its own."
            )
        if alias_of not in served:
            raise CatalogError(
                f"No channel serves '{alias_of}'. An alias points at a model a channel serves."
            )
    return replace(entry, name=name, alias_of=alias_of, description=description)


def patched(entry: CatalogEntry, changes: Mapping[str, Any]) -> CatalogEntry:
    """The entry with the changes of an API call or form (known fields only)."""
    allowed = {"alias_of", "visible", "description", "position"}
    unknown = set(changes) - allowed
    if unknown:
        raise CatalogError(f"unknown field(s): {', '.join(sorted(unknown))}")
    return replace(entry, **changes)


class ModelsAdmin:
    def __init__(self, store: Store, directory: Directory) -> None:
        self._store = store
        self._directory = directory

    def view(self, entries: Sequence[CatalogEntry]) -> list[ModelView]:
        return catalog_view(self._directory.channels, entries)

    async def all(self) -> list[ModelView]:
        return self.view(await self._store.models.all())

    def _served(self) -> set[str]:
        return set(channel_models(self._directory.channels))

    async def create(self, entry: CatalogEntry) -> CatalogEntry:
        entry = check_entry(entry, self._served())
        await self._store.models.create(entry)
        await self._directory.reload()
        return entry

    async def change(self, name: str, changes: Mapping[str, Any]) -> CatalogEntry:
        """Patch a catalog row; a served model without one gets one."""
        current = await self._store.models.get(name)
        if current is None and name not in self._served():
            raise NotFoundError(f"there is no model or alias named {name!r}")
        entry = check_entry(patched(current or CatalogEntry(name), changes), self._served())
        if current is None:
            await self._store.models.create(entry)
        else:
            await self._store.models.replace(entry)
        await self._directory.reload()
        return entry

    async def delete(self, name: str) -> None:
        if not await self._store.models.delete(name):
            raise NotFoundError(f"the catalog has no row for {name!r}")
        await self._directory.reload()
