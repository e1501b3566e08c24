"""The one list of provider kinds."""

from __future__ import annotations

import aiohttp

from fourk.providers.anthropic import AnthropicProvider
from fourk.providers.base import Provider
from fourk.providers.openai_chat import OpenAIChatProvider
from fourk.providers.openai_responses import OpenAIResponsesProvider
from fourk.providers.sim import SimProvider

KINDS: tuple[str, ...] = ("openai-responses", "openai-chat", "anthropic", "sim")

DESCRIPTIONS: dict[str, str] = {
    "openai-responses": "OpenAI Responses API (OpenAI, Azure, other relays); passed through",
    "openai-chat": "any Chat Completions server (DeepSeek, Qwen, vLLM, Ollama, OpenRouter)",
    "anthropic": "the Anthropic Messages API",
    "sim": "the built-in simulator, in process",
}


def build_providers(session: aiohttp.ClientSession) -> dict[str, Provider]:
    return {
        "openai-responses": OpenAIResponsesProvider(session),
        "openai-chat": OpenAIChatProvider(session),
        "anthropic": AnthropicProvider(session),
        "sim": SimProvider(),
    }
