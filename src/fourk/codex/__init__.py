"""Codex CLI specifics: the config files users paste, and helpers for Codex clients."""
