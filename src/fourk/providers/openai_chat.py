"""Upstreams that speak OpenAI Chat Completions: DeepSeek, Qwen, vLLM, Ollama, OpenRouter,
LM Studio, OpenAI itself. `base_url` is what their docs give for the OpenAI SDK (it usually
ends in `/v1`); the request goes to `{base_url}/chat/completions`.
"""

from __future__ import annotations

from fourk.providers.openai_responses import OpenAIResponsesProvider


class OpenAIChatProvider(OpenAIResponsesProvider):
    kind = "openai-chat"
    wire = "chat"
    path = "/chat/completions"
