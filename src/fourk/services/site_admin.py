"""Changing the operator's site settings: checked, stored, and live on this node at once
(other nodes follow within the directory's poll interval)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from fourk.services.directory import Directory
from fourk.services.site import InvalidSetting, SiteConfig, check_site_change
from fourk.services.store_bundle import Store

MODEL_SETTINGS = ("default_model", "default_review_model")


async def change_site(store: Store, directory: Directory, changes: Mapping[str, Any]) -> SiteConfig:
    values = check_site_change(changes)
    for name in MODEL_SETTINGS:
        model = values.get(name)
        if model and model not in directory.by_model:
            raise InvalidSetting(
                f"No channel serves '{model}'; pick one of the models on the Models page "
                "(or leave it empty for the first one)."
            )
    if values:
        await store.site.put(values)
        await directory.reload()
    return directory.site


def site_view(site: SiteConfig, fallback_base_url: str) -> dict[str, Any]:
    """The settings as stored, plus the base URL Codex is told (after the fallback)."""
    return {**asdict(site), "effective_base_url": site.base_url(fallback_base_url)}
