"""What an operator does to channels beyond adding one: edit, enable, delete, and the view
of a channel that leaves the server (never its upstream secret: that is write-only)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from fourk.protocols.chat.request_encode import ChatOptions, chat_options
from fourk.providers.anthropic import ANTHROPIC_OPTIONS, check_anthropic_options
from fourk.providers.base import Provider
from fourk.providers.registry import KINDS
from fourk.routing.channel import Channel
from fourk.routing.health import ChannelHealth
from fourk.services.accounts import NotFoundError
from fourk.services.channel_probe import ProbeResult, probe_channel
from fourk.services.channels import ChannelError, add_channel
from fourk.services.directory import CHANNEL_SECRET, Directory
from fourk.services.store_bundle import Store
from fourk.store.channel_stats import ChannelStats
from fourk.store.channels import ChannelNameTaken, ChannelRow

MAX_NAME = 128
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
_SECRET_HEADERS = frozenset({"authorization", "x-api-key", "cookie", "proxy-authorization"})
GENERAL_OPTIONS = ("model_map", "strip_codex_extras", "forward_headers")
"""Options every kind takes; the relay itself reads them."""
PROTOCOL_OPTIONS: Mapping[str, tuple[str, ...]] = {
    "openai-responses": (),
    "openai-chat": tuple(f.name for f in fields(ChatOptions)),
    "anthropic": ANTHROPIC_OPTIONS,
    "sim": (),
}
"""The options of each kind's own translator and provider, stored next to the general ones."""
_PROTOCOL_CHECKS: Mapping[str, Callable[[Mapping[str, Any]], object]] = {
    "openai-chat": chat_options,
    "anthropic": check_anthropic_options,
}


@dataclass(frozen=True, slots=True)
class ChannelOptions:
    model_map: dict[str, str] = field(default_factory=dict)  # client name → upstream name
    strip_codex_extras: bool = False
    forward_headers: tuple[str, ...] = ()
    protocol: dict[str, Any] = field(default_factory=dict)  # the kind's own (PROTOCOL_OPTIONS)

    def encode(self) -> dict[str, Any]:
        """The stored JSON: the general options and the protocol ones, all at the top level."""
        out: dict[str, Any] = {}
        if self.model_map:
            out["model_map"] = dict(self.model_map)
        if self.strip_codex_extras:
            out["strip_codex_extras"] = True
        if self.forward_headers:
            out["forward_headers"] = list(self.forward_headers)
        out.update(self.protocol)
        return out


@dataclass(frozen=True, slots=True)
class ChannelPatch:
    """A change to a channel; None leaves a field as it is. `api_key` replaces the upstream
    secret; `clear_api_key` removes it."""

    name: str | None = None
    kind: str | None = None
    base_url: str | None = None
    models: Sequence[str] | None = None
    priority: int | None = None
    weight: int | None = None
    enabled: bool | None = None
    options: ChannelOptions | None = None
    api_key: str | None = None
    clear_api_key: bool = False


def decode_options(raw: Mapping[str, Any], kind: str | None) -> ChannelOptions:
    """Options from JSON (or a form turned into the same shape) for a channel of `kind`:
    the general ones and those the kind understands (PROTOCOL_OPTIONS); ChannelError names
    a malformed one, an unknown one and one meant for another kind."""
    model_map = raw.get("model_map") or {}
    if not isinstance(model_map, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and k.strip() and v.strip()
        for k, v in model_map.items()
    ):
        raise ChannelError("model_map must map model names to upstream model names")
    headers = raw.get("forward_headers") or []
    if not isinstance(headers, list) or not all(isinstance(h, str) for h in headers):
        raise ChannelError("forward_headers must be a list of header names")
    cleaned = tuple(dict.fromkeys(h.strip().lower() for h in headers if h.strip()))
    bad = [h for h in cleaned if not _HEADER_NAME.match(h) or h in _SECRET_HEADERS]
    if bad:
        raise ChannelError(f"these cannot be forwarded: {', '.join(bad)}")
    strip = raw.get("strip_codex_extras", False)
    if not isinstance(strip, bool):
        raise ChannelError("strip_codex_extras must be true or false")
    protocol = check_protocol_options(protocol_options(raw), kind)
    pairs = {k.strip(): v.strip() for k, v in model_map.items()}
    return ChannelOptions(
        model_map=pairs, strip_codex_extras=strip, forward_headers=cleaned, protocol=protocol
    )


def protocol_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The options of a channel that are not general ones (its kind's own)."""
    return {k: v for k, v in options.items() if k not in GENERAL_OPTIONS}


def check_protocol_options(options: Mapping[str, Any], kind: str | None) -> dict[str, Any]:
    """`options` (not general ones) checked for a channel of `kind`; a null value leaves an
    option unset. ChannelError names what is wrong and what the kind takes."""
    options = {k: v for k, v in options.items() if v is not None}
    if not options:
        return {}
    if not kind:
        raise ChannelError(f"set the channel's kind to use option(s) {', '.join(sorted(options))}")
    if kind not in KINDS:
        raise ChannelError(f"unknown channel kind {kind!r}; choose one of {', '.join(KINDS)}")
    known = PROTOCOL_OPTIONS.get(kind, ())
    wrong = [_misplaced(name, kind) for name in sorted(options) if name not in known]
    if wrong:
        takes = ", ".join((*GENERAL_OPTIONS, *known))
        raise ChannelError(f"{'; '.join(wrong)}. A channel of kind {kind} takes: {takes}")
    check = _PROTOCOL_CHECKS.get(kind)
    try:
        if check is not None:
            check(options)
    except ValueError as exc:
        raise ChannelError(str(exc)) from exc
    return options


def _misplaced(name: str, kind: str) -> str:
    owners = [k for k, names in PROTOCOL_OPTIONS.items() if name in names]
    if not owners:
        return f"unknown option '{name}'"
    return f"option '{name}' is for {' and '.join(owners)} channels, not {kind}"


def check_patch(patch: ChannelPatch, current_kind: str) -> dict[str, Any]:
    """The store columns a patch sets, checked; ChannelError says what is wrong."""
    values: dict[str, Any] = {}
    if patch.name is not None:
        values["name"] = _check_name(patch.name)
    kind = patch.kind or current_kind
    if patch.kind is not None:
        if patch.kind not in KINDS:
            raise ChannelError(
                f"unknown channel kind {patch.kind!r}; choose one of {', '.join(KINDS)}"
            )
        values["kind"] = patch.kind
    if patch.base_url is not None:
        values["base_url"] = check_base_url(kind, patch.base_url)
    if patch.models is not None:
        values["models"] = check_models(patch.models)
    if patch.priority is not None:
        values["priority"] = patch.priority
    if patch.weight is not None:
        if patch.weight < 0:
            raise ChannelError("weight must be 0 or more")
        values["weight"] = patch.weight
    if patch.enabled is not None:
        values["enabled"] = patch.enabled
    if patch.options is not None:
        check_protocol_options(patch.options.protocol, kind)  # built for another kind?
        values["options"] = patch.options.encode()
    return values


def _check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise ChannelError(f"a channel name has 1 to {MAX_NAME} characters")
    return name


def check_base_url(kind: str, base_url: str) -> str:
    base_url = base_url.strip()
    parsed = urlparse(base_url)
    if kind != "sim" and (parsed.scheme not in ("http", "https") or not parsed.netloc):
        raise ChannelError(
            f"base URL {base_url!r} must be an http(s) URL, for example https://api.openai.com/v1"
        )
    return base_url.rstrip("/")


def check_models(models: Sequence[str]) -> list[str]:
    cleaned = list(dict.fromkeys(m.strip() for m in models if m.strip()))
    if not cleaned:
        raise ChannelError("a channel must serve at least one model")
    if any(len(m) > 128 or any(c.isspace() for c in m) for m in cleaned):
        raise ChannelError("a model name has at most 128 characters and no spaces")
    return cleaned


class ChannelAdmin:
    """The operator's channel actions (cheap to build per request)."""

    def __init__(self, store: Store, directory: Directory) -> None:
        self._store = store
        self._directory = directory

    async def get(self, channel_id: int) -> ChannelRow:
        row = await self._store.channels.by_id(channel_id)
        if row is None:
            raise NotFoundError(f"there is no channel with id {channel_id}")
        return row

    async def create(self, patch: ChannelPatch) -> ChannelRow:
        if not patch.name or not patch.kind or patch.base_url is None or patch.models is None:
            raise ChannelError("a new channel needs a name, kind, base_url and models")
        check_patch(patch, patch.kind)
        channel_id = await add_channel(
            self._store,
            name=_check_name(patch.name),
            kind=patch.kind,
            base_url=check_base_url(patch.kind, patch.base_url),
            models=check_models(patch.models),
            api_key=patch.api_key or None,
            priority=patch.priority or 0,
            weight=1 if patch.weight is None else patch.weight,
            options=(patch.options or ChannelOptions()).encode(),
        )
        if patch.enabled is False:
            await self._store.channels.update(channel_id, enabled=False)
        await self._directory.reload()
        return await self.get(channel_id)

    async def change(self, channel_id: int, patch: ChannelPatch) -> ChannelRow:
        row = await self.get(channel_id)
        values = check_patch(patch, row.kind)
        if patch.options is None and values.get("kind", row.kind) != row.kind:
            _check_kept_options(row, values["kind"])
        if "name" in values and values["name"] != row.name:
            taken = await self._store.channels.by_name(values["name"])
            if taken is not None:
                raise ChannelNameTaken(f"a channel named {values['name']!r} exists already")
        if patch.api_key:
            values["sealed_secret"] = self._store.sealer.seal(patch.api_key, CHANNEL_SECRET)
        elif patch.clear_api_key:
            values["sealed_secret"] = None
        if values:
            await self._store.channels.update(row.id, **values)
            await self._directory.reload()
        return await self.get(row.id)

    async def views(self, health: ChannelHealth, only: int | None = None) -> list[dict[str, Any]]:
        """Every channel (or the one with id `only`) with its health on this node: cooling
        down after failures, and the last hour's requests from the log."""
        rows = await self._store.channels.all()
        if only is not None:
            rows = [r for r in rows if r.id == only]
            if not rows:
                raise NotFoundError(f"there is no channel with id {only}")
        stats = await self._store.channel_stats.since(datetime.now(UTC) - timedelta(hours=1))
        now = time.monotonic()
        return [
            channel_view(r, health.cooling_until.get(r.id, 0.0) > now, stats.get(r.id))
            for r in rows
        ]

    def opened(self, channel_id: int) -> Channel:
        """The channel as the relay uses it (secret opened), for a test call."""
        for channel in self._directory.channels:
            if channel.id == channel_id:
                return channel
        raise NotFoundError(
            f"there is no channel with id {channel_id} (or its secret does not open with this "
            "server key: set it again)"
        )

    async def probe(
        self, channel_id: int, model: str | None, providers: Mapping[str, Provider], within: float
    ) -> ProbeResult:
        """A test call through one channel (see channel_probe); `model` defaults to its first."""
        channel = self.opened(channel_id)
        model = model or channel.models[0]
        if model not in channel.models:
            raise ChannelError(f"This channel does not serve '{model}'.")
        provider = providers.get(channel.kind)
        if provider is None:
            raise ChannelError(f"No provider handles channel kind '{channel.kind}'.")
        return await probe_channel(provider, channel, model, within=within)

    async def delete(self, channel_id: int) -> None:
        if not await self._store.channels.delete(channel_id):
            raise NotFoundError(f"there is no channel with id {channel_id}")
        await self._directory.reload()


def _check_kept_options(row: ChannelRow, kind: str) -> None:
    """A new kind for a channel whose stored options stay: they must fit it."""
    try:
        check_protocol_options(protocol_options(row.options), kind)
    except ChannelError as exc:
        raise ChannelError(
            f"the channel's options are for {row.kind}, not {kind} ({exc}); "
            "send options that fit the new kind with it"
        ) from None


def channel_view(row: ChannelRow, cooling: bool, stats: ChannelStats | None) -> dict[str, Any]:
    """A channel as the API and pages show it: everything but the secret."""
    return {
        "id": row.id,
        "name": row.name,
        "kind": row.kind,
        "base_url": row.base_url,
        "models": list(row.models),
        "priority": row.priority,
        "weight": row.weight,
        "enabled": row.enabled,
        "options": dict(row.options),
        "has_api_key": row.sealed_secret is not None,
        "cooling_down": cooling,
        "requests_last_hour": stats.requests if stats else 0,
        "failures_last_hour": stats.failures if stats else 0,
        "last_used_at": stats.last_at if stats else None,
    }
