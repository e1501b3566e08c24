"""fourk: a self-hosted LLM API relay that just works with Codex CLI."""

__version__ = "0.1.0"
