"""The config.toml and auth.json that point Codex CLI at fourk."""

from __future__ import annotations

import json
import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fourk.accounts.keys import mint_key
from fourk.codex.config import render_auth_json, render_config_toml


def test_config_has_exactly_what_codex_needs() -> None:
    parsed = tomllib.loads(render_config_toml("https://relay.example.com/", "gpt-5-codex"))
    assert parsed == {
        "model_provider": "OpenAI",
        "model": "gpt-5-codex",
        "review_model": "gpt-5-codex",
        "model_providers": {
            "OpenAI": {
                "name": "OpenAI",
                "base_url": "https://relay.example.com",
                "wire_api": "responses",
                "requires_openai_auth": True,
            }
        },
    }


def test_review_model_can_differ() -> None:
    parsed = tomllib.loads(render_config_toml("http://127.0.0.1:8080", "gpt-5-codex", "gpt-5"))
    assert parsed["model"] == "gpt-5-codex"
    assert parsed["review_model"] == "gpt-5"
    assert parsed["model_providers"]["OpenAI"]["base_url"] == "http://127.0.0.1:8080"


@pytest.mark.parametrize("base_url", ["http://h:1", "http://h:1/", "http://h:1///"])
def test_base_url_has_no_trailing_slash(base_url: str) -> None:
    parsed = tomllib.loads(render_config_toml(base_url, "m"))
    assert parsed["model_providers"]["OpenAI"]["base_url"] == "http://h:1"


@pytest.mark.parametrize(
    "model",
    ['my "quoted" model', "back\\slash", "tab\there", "new\nline", "ünïcødé 模型", "'single'"],
)
def test_awkward_model_names_are_escaped(model: str) -> None:
    text = render_config_toml("http://h", model)
    parsed = tomllib.loads(text)
    assert parsed["model"] == model
    assert parsed["review_model"] == model
    assert parsed["model_provider"] == "OpenAI"
    assert len(parsed) == 4  # nothing injected at the top level


def test_a_model_name_cannot_inject_keys() -> None:
    model = 'x"\nmodel_provider = "evil'
    parsed = tomllib.loads(render_config_toml("http://h", model))
    assert parsed["model"] == model
    assert parsed["model_provider"] == "OpenAI"


# Text a TOML basic string can hold once escaped: every character except lone surrogates.
any_text = st.text(st.characters(codec="utf-8"), max_size=20)


@settings(max_examples=200, deadline=None)
@given(any_text.filter(lambda s: "\x7f" not in s), any_text.filter(lambda s: "\x7f" not in s))
def test_any_model_name_round_trips(model: str, review: str) -> None:
    parsed = tomllib.loads(render_config_toml("http://h", model, review or None))
    assert parsed["model"] == model
    assert parsed["review_model"] == (review or model)


def test_delete_character_is_escaped() -> None:
    parsed = tomllib.loads(render_config_toml("http://h", "a\x7fb"))
    assert parsed["model"] == "a\x7fb"


def test_auth_json_holds_exactly_the_key() -> None:
    key = mint_key()
    text = render_auth_json(key)
    assert json.loads(text) == {"OPENAI_API_KEY": key}
    assert text.endswith("\n")


@pytest.mark.parametrize("pasted", [" {k}", "{k}\n", "\t{k} \r\n"])
def test_auth_json_strips_whitespace_around_the_key(pasted: str) -> None:
    key = mint_key()
    value = json.loads(render_auth_json(pasted.format(k=key)))["OPENAI_API_KEY"]
    assert value == key
