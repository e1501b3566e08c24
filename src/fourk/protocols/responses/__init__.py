"""The OpenAI Responses API: requests, stream events, usage."""
