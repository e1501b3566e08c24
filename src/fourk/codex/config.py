"""The `config.toml` block and `auth.json` that point Codex CLI at fourk (pure).

They follow the setup page exactly: provider "OpenAI", base_url = the service root (no /v1),
wire_api "responses", requires_openai_auth true, and the key under OPENAI_API_KEY.
"""

from __future__ import annotations

import json


def _toml_string(value: str) -> str:
    # JSON string escaping is valid TOML basic-string escaping for these characters
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def render_config_toml(base_url: str, model: str, review_model: str | None = None) -> str:
    return (
        'model_provider = "OpenAI"\n'
        f"model = {_toml_string(model)}\n"
        f"review_model = {_toml_string(review_model or model)}\n"
        "\n"
        "[model_providers.OpenAI]\n"
        'name = "OpenAI"\n'
        f"base_url = {_toml_string(base_url.rstrip('/'))}\n"
        'wire_api = "responses"\n'
        "requires_openai_auth = true\n"
    )


def render_auth_json(api_key: str) -> str:
    return json.dumps({"OPENAI_API_KEY": api_key.strip()}, indent=2) + "\n"
