"""Languages of the dashboard: English (the source strings) and Chinese.

Templates say `t("Create key")`; the catalog for a language maps each English string to its
translation, and a string missing from a catalog shows in English. Catalogs are JSON files in
`locales/` (one per language and area, merged), so a page's strings live beside nothing else.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

LANGUAGES = {"en": "English", "zh": "中文"}
COOKIE = "fourk_lang"


class Catalogs:
    def __init__(self) -> None:
        self._catalogs: dict[str, dict[str, str]] = {code: {} for code in LANGUAGES}
        folder = resources.files("fourk.dashboard") / "locales"
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            language = entry.name.split(".", 1)[0]
            if entry.name.endswith(".json") and language in self._catalogs:
                self._catalogs[language].update(json.loads(entry.read_text(encoding="utf-8")))

    def translator(self, language: str) -> Translator:
        return Translator(self._catalogs.get(language, {}))

    def strings(self, language: str) -> dict[str, str]:
        return dict(self._catalogs.get(language, {}))


class Translator:
    __slots__ = ("_catalog",)

    def __init__(self, catalog: dict[str, str]) -> None:
        self._catalog = catalog

    def __call__(self, text: str, **values: Any) -> str:
        translated = self._catalog.get(text, text)
        return translated.format(**values) if values else translated


def pick_language(cookie: str | None, accept_language: str | None, default: str) -> str:
    """The cookie's choice, else the browser's first known language, else the default."""
    if cookie in LANGUAGES:
        return str(cookie)
    for part in (accept_language or "").split(","):
        tag = part.split(";", 1)[0].strip().lower()
        primary = tag.split("-", 1)[0]
        if primary in LANGUAGES:
            return primary
    return default if default in LANGUAGES else "en"
