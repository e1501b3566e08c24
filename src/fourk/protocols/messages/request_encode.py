"""A Responses request (the hub) → an Anthropic Messages request (pure).

The conversation (`instructions` and `input`) becomes `system` and `messages` in `history`,
which also repairs it to Anthropic's turn rules. A history with tool calls but a request
without tools gets stub tools (with `tool_choice: none`) because Anthropic refuses tool
blocks without tool definitions.

Parameters: `max_output_tokens` → `max_tokens` (required by Anthropic; default below);
`temperature` clamped to 0..1, `top_p` (only when no temperature: newer models refuse both);
`tool_choice` `auto`/`required`/`none`/forced → `auto`/`any`/`none`/`tool`;
`parallel_tool_calls: false` → `disable_parallel_tool_use`; `reasoning.effort` → thinking
(table below). With thinking on, `temperature` and `top_p` are dropped (Anthropic refuses
them) and thinking is left off when the request forces a tool or when the last tool-use
turn of the history has no thinking block (both are 400s upstream). Ignored on purpose:
`store`, `include`, `prompt_cache_key`, `client_metadata`, `text.verbosity`, `user`,
`metadata`, `service_tier`, `truncation`, `safety_identifier`, `background`. A JSON
`text.format` is listed in `dropped`. `previous_response_id` is refused.

Prompt caching: `cache_control: {"type": "ephemeral"}` on the last system block (or the last
tool when there is no system), on the last block of the history, and on the last block of
the user turn before it (where the previous request of the same Codex session ended, so it
is read back from the cache). Three of Anthropic's four breakpoints.

Options (`options`, from the channel's settings):

- `max_tokens` (int, default 8192): `max_tokens` when the request sets no `max_output_tokens`.
- `max_tokens_limit` (int): the model's output ceiling; larger values are lowered to it.
- `thinking` (bool, default true): false never turns thinking on.
- `thinking_mode` (`"budget"` default or `"adaptive"`): budget sends
  `{"type": "enabled", "budget_tokens": N}` with N from `thinking_budgets`; adaptive sends
  `{"type": "adaptive"}` and `output_config.effort` (for models that prefer it).
- `thinking_budgets` (mapping effort → tokens): merged over `THINKING_BUDGETS`.
- `default_effort` (str): the effort when the request names none (Codex without model
  metadata sends none).
- `prompt_cache` (bool, default true): false adds no `cache_control`.
- `extra_body` (mapping): merged into the body last, key by key; a null value removes a key.

The thinking budget must stay below `max_tokens`: with no `max_output_tokens`, `max_tokens`
is raised to budget + 4096; with an explicit one (a limit the client chose, which includes
thinking on both sides), the budget shrinks to leave 1024 tokens for the answer, and
thinking is left off when that leaves under 1024 for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fourk.errors import InvalidRequest
from fourk.protocols.hub.tools import ToolSet, flatten_tools, tool_choice_name
from fourk.protocols.hub.values import int_or
from fourk.protocols.messages.history import CONTINUE as CONTINUE
from fourk.protocols.messages.history import CONTINUED as CONTINUED
from fourk.protocols.messages.history import IMAGE_TYPES as IMAGE_TYPES
from fourk.protocols.messages.history import INTERRUPTED as INTERRUPTED
from fourk.protocols.messages.history import THINKING_TYPES, Block, encode_history

DEFAULT_MAX_TOKENS = 8192
THINKING_BUDGETS: Mapping[str, int] = {"low": 2048, "medium": 8192, "high": 24576, "xhigh": 32768}
"""Effort → `budget_tokens`. `minimal` and `none` (and unknown efforts) mean no thinking."""
ADAPTIVE_EFFORTS = ("low", "medium", "high", "xhigh", "max")
MIN_BUDGET = 1024  # Anthropic's smallest budget_tokens; also what is kept for the answer
THINKING_HEADROOM = 4096
CACHE = {"type": "ephemeral"}


@dataclass(frozen=True, slots=True)
class EncodedMessages:
    body: dict[str, Any]  # the Anthropic request
    tools: ToolSet  # to map tool names back when the answer comes
    dropped: tuple[str, ...] = ()  # what the upstream cannot take, for the log


def encode_messages_request(
    body: dict[str, Any], *, model: str, options: Mapping[str, Any] | None = None
) -> EncodedMessages:
    """The Anthropic request for a Responses request, with the upstream's `model` name."""
    opts = options or {}
    if body.get("previous_response_id"):
        raise InvalidRequest(
            "'previous_response_id' is not supported for this model; send the whole "
            "conversation in 'input'.",
            param="previous_response_id",
        )
    tools = flatten_tools(body.get("tools"))
    dropped = list(tools.dropped)
    system, messages = encode_history(body, dropped)
    out: dict[str, Any] = {"model": model, "max_tokens": DEFAULT_MAX_TOKENS}
    if system:
        out["system"] = system
    out["messages"] = messages
    out.update(_tools(tools, body, messages))
    _sampling(out, body, opts, dropped)
    out["stream"] = body.get("stream") is True
    if _fmt := _json_format(body):
        dropped.append(_fmt)
    if opts.get("prompt_cache", True) is not False:
        _cache(out)
    extra = opts.get("extra_body")
    for key, value in extra.items() if isinstance(extra, Mapping) else ():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return EncodedMessages(out, tools, tuple(dict.fromkeys(dropped)))


# -- tools and parameters ------------------------------------------------------------------


def _tools(tools: ToolSet, body: Mapping[str, Any], messages: list[Any]) -> dict[str, Any]:
    specs: list[Block] = []
    for tool in tools.tools:
        schema = dict(tool.parameters)
        schema.setdefault("type", "object")
        spec: Block = {"name": tool.name}
        if tool.description:
            spec["description"] = tool.description
        spec["input_schema"] = schema
        specs.append(spec)
    if not specs:
        used = [b["name"] for m in messages for b in m["content"] if b["type"] == "tool_use"]
        stubs = [_stub(name) for name in dict.fromkeys(used)]
        return {"tools": stubs, "tool_choice": {"type": "none"}} if stubs else {}
    out: dict[str, Any] = {"tools": specs}
    choice = _tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls"))
    if choice is not None:
        out["tool_choice"] = choice
    return out


def _stub(name: str) -> Block:
    description = "No longer offered; called earlier in this conversation."
    schema = {"type": "object", "properties": {}}
    return {"name": name, "description": description, "input_schema": schema}


def _tool_choice(choice: object, parallel: object) -> dict[str, Any] | None:
    if choice == "none":
        return {"type": "none"}
    forced = tool_choice_name(choice)
    if forced is not None:
        out: dict[str, Any] = {"type": "tool", "name": forced}
    elif choice == "required":
        out = {"type": "any"}
    elif choice is None and parallel is not False:
        return None
    else:
        out = {"type": "auto"}  # auto, allowed_tools, hosted tools
    if parallel is False:
        out["disable_parallel_tool_use"] = True
    return out


def _sampling(
    out: dict[str, Any], body: Mapping[str, Any], opts: Mapping[str, Any], dropped: list[str]
) -> None:
    """`max_tokens`, thinking, temperature and top_p, which constrain each other."""
    explicit = body.get("max_output_tokens")
    if explicit is not None and (type(explicit) is not int or explicit < 1):
        raise InvalidRequest(
            "'max_output_tokens' must be a positive integer.", param="max_output_tokens"
        )
    effort = _effort(body, opts)
    mode = opts.get("thinking_mode", "budget")
    if effort and out.get("tool_choice", {}).get("type") in ("any", "tool"):
        dropped.append("thinking (a forced tool call)")
        effort = None
    if effort and _last_loop_unthought(out["messages"]):
        dropped.append("thinking (the last tool call was made without thinking)")
        effort = None
    budget = _budget(effort, opts) if mode != "adaptive" else None
    default = int_or(opts.get("max_tokens"), DEFAULT_MAX_TOKENS)
    max_tokens = explicit or max(default, budget + THINKING_HEADROOM if budget else 0)
    limit = int_or(opts.get("max_tokens_limit"), 0)
    out["max_tokens"] = min(max_tokens, limit) if limit > 0 else max_tokens
    if budget:
        budget = min(budget, out["max_tokens"] - MIN_BUDGET)
        if budget >= MIN_BUDGET:
            out["thinking"] = {"type": "enabled", "budget_tokens": budget}
    elif effort and mode == "adaptive" and effort in ADAPTIVE_EFFORTS:
        out["thinking"] = {"type": "adaptive"}
        out["output_config"] = {"effort": effort}
    _temperature(out, body, dropped)


def _effort(body: Mapping[str, Any], opts: Mapping[str, Any]) -> str | None:
    if opts.get("thinking", True) is False:
        return None
    reasoning = body.get("reasoning")
    effort = reasoning.get("effort") if isinstance(reasoning, Mapping) else None
    effort = effort or opts.get("default_effort")
    return effort if isinstance(effort, str) and effort not in ("none", "minimal") else None


def _budget(effort: str | None, opts: Mapping[str, Any]) -> int | None:
    if effort is None:
        return None
    table = dict(THINKING_BUDGETS)
    custom = opts.get("thinking_budgets")
    if isinstance(custom, Mapping):
        table.update({str(k): v for k, v in custom.items() if isinstance(v, int)})
    return table.get(effort)


def _last_loop_unthought(messages: list[dict[str, Any]]) -> bool:
    """The history ends in tool results for an assistant turn that did not begin with
    thinking: Anthropic refuses thinking then, as it cannot have happened before the call."""
    if len(messages) < 2:
        return False
    results = any(b["type"] == "tool_result" for b in messages[-1]["content"])
    first = messages[-2]["content"][0] if messages[-2]["content"] else {}
    return results and first.get("type") not in THINKING_TYPES


def _temperature(out: dict[str, Any], body: Mapping[str, Any], dropped: list[str]) -> None:
    temperature, top_p = body.get("temperature"), body.get("top_p")
    numbers = (int, float)
    if "thinking" in out:
        dropped += [n for n, v in (("temperature", temperature), ("top_p", top_p)) if v is not None]
    elif isinstance(temperature, numbers) and not isinstance(temperature, bool):
        out["temperature"] = min(1.0, max(0.0, float(temperature)))
    elif isinstance(top_p, numbers) and not isinstance(top_p, bool):
        out["top_p"] = min(1.0, max(0.0, float(top_p)))


def _json_format(body: Mapping[str, Any]) -> str | None:
    text = body.get("text")
    fmt = text.get("format") if isinstance(text, Mapping) else None
    kind = fmt.get("type") if isinstance(fmt, Mapping) else None
    return f"text.format:{kind}" if kind in ("json_schema", "json_object") else None


def _cache(out: dict[str, Any]) -> None:
    """Breakpoints where a Codex session's next request will find its prefix again."""
    if out.get("system"):
        out["system"][-1]["cache_control"] = dict(CACHE)
    elif out.get("tools"):
        out["tools"][-1]["cache_control"] = dict(CACHE)
    messages = out["messages"]
    users = [m for m in messages if m["role"] == "user"]
    for message in users[-2:]:
        content = message["content"]
        if isinstance(content, list) and content:
            content[-1]["cache_control"] = dict(CACHE)
