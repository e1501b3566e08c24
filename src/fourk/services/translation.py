"""Which way a request goes for one channel: the body the upstream gets, and the pipe its
answer comes back through (passed through when both sides speak the same protocol,
translated through the hub when not, compaction emulated for upstreams without it)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import orjson

from fourk.billing.usage import Usage
from fourk.protocols.hub.tools import ToolSet
from fourk.protocols.pipes import (
    CompactionPipe,
    Pipe,
    ResponsesPassPipe,
    TranslatedPipe,
    WatchedPassPipe,
    compaction_events,
)
from fourk.protocols.responses.compaction import (
    has_compactions,
    is_compaction_trigger,
    summary_request,
)
from fourk.protocols.responses.request import ResponsesRequest, encode_request
from fourk.protocols.responses.stream import decode_usage
from fourk.protocols.wires import (
    Ids,
    Wire,
    decode_whole,
    encode_upstream,
    encode_whole,
    stream_decoder,
    stream_encoder,
)
from fourk.providers.base import Provider, UpstreamCall
from fourk.routing.channel import Channel
from fourk.services.compaction import Compactor
from fourk.services.directory import Directory

if TYPE_CHECKING:
    from fourk.services.relay import Ticket

log = logging.getLogger("fourk.translation")


class Translation:
    def __init__(
        self,
        directory: Directory,
        providers: Mapping[str, Provider],
        compactor: Compactor | None,
    ) -> None:
        self._directory = directory
        self._providers = providers
        self._compactor = compactor

    def wire_of(self, channel: Channel) -> Wire:
        provider = self._providers.get(channel.kind)
        wire = provider.wire if provider is not None else "responses"
        return "chat" if wire == "chat" else "messages" if wire == "messages" else "responses"

    def ids(self, ticket: Ticket) -> Ids:
        return Ids(
            "resp_" + ticket.request_id.removeprefix("req_"), ticket.request.model, int(time.time())
        )

    def compacting(self, ticket: Ticket, channel: Channel) -> bool:
        """Remote compaction asked of an upstream that cannot do it itself."""
        return (
            ticket.wire == "responses"
            and self.wire_of(channel) != "responses"
            and is_compaction_trigger(ticket.request.body)
        )

    def call(self, ticket: Ticket, channel: Channel) -> UpstreamCall:
        wire = self.wire_of(channel)
        asked = ticket.request.model
        target = self._directory.aliases.get(asked, asked)  # an alias routes as its target
        upstream = channel.options.get("model_map", {}).get(target, target)
        if wire == ticket.wire:
            body = self._same_wire_body(ticket, channel, upstream)
        else:
            encoded = encode_upstream(
                wire, self._hub_body(ticket, channel), upstream, channel.options
            )
            if encoded.dropped:
                log.info(
                    "request %s to %s: left out %s",
                    ticket.request_id,
                    channel.name,
                    ", ".join(encoded.dropped),
                )
            if ticket.tools is None:
                ticket.tools = {}
            ticket.tools[channel.id] = encoded.tools
            body = orjson.dumps(encoded.body)
        return UpstreamCall(
            channel=channel,
            operation=wire,
            body=body,
            stream=ticket.request.stream,
            headers=ticket.headers,
        )

    def pipe(self, ticket: Ticket, channel: Channel) -> Pipe:
        wire = self.wire_of(channel)
        if wire == ticket.wire == "responses":
            return ResponsesPassPipe(ticket.request.model)
        ids = self.ids(ticket)
        tools = (ticket.tools or {}).get(channel.id, ToolSet())
        decoder = stream_decoder(wire, ids, tools)
        writer = stream_encoder(ticket.wire, ids, ticket.include_usage)
        if self.compacting(ticket, channel):
            return CompactionPipe(decoder, writer, ids, self._sealing(ticket))
        if wire == ticket.wire:
            drop = wire == "chat" and not ticket.include_usage
            return WatchedPassPipe(decoder, writer, drop_usage_chunks=drop)
        return TranslatedPipe(decoder, writer, ids)

    def whole(self, ticket: Ticket, channel: Channel, body: bytes) -> tuple[bytes, Usage | None]:
        """A whole upstream answer as the client's, and its usage."""
        wire = self.wire_of(channel)
        ids = self.ids(ticket)
        tools = (ticket.tools or {}).get(channel.id, ToolSet())
        try:
            response = decode_whole(wire, body, ids, tools)
        except ValueError:  # not JSON: passed on as it came (the client sees what we saw)
            return body, None
        usage = decode_usage(response.get("usage"))
        if self.compacting(ticket, channel):
            text = _output_text(response)
            events = compaction_events(ids, self._sealing(ticket)(text), usage)
            return orjson.dumps(events[-1]["response"]), usage
        if wire == ticket.wire:
            return body, usage
        return encode_whole(ticket.wire, response, ids), usage

    # -- bodies ----------------------------------------------------------------------------

    def _same_wire_body(self, ticket: Ticket, channel: Channel, upstream: str) -> bytes:
        if ticket.wire == "responses":
            strip = bool(channel.options.get("strip_codex_extras"))
            ours = (
                self._compactor is not None
                and b'"compaction' in ticket.request.raw  # a cheap look before walking input
                and has_compactions(ticket.request.body.get("input"))
            )
            if ours:
                assert self._compactor is not None
                expanded = self._compactor.expand(
                    ticket.request.body, ticket.principal.user.id, only_ours=True
                )
                request = ResponsesRequest(
                    ticket.request.model, ticket.request.stream, expanded, b""
                )
                return encode_request(request, model=upstream, strip_extras=strip)
            if upstream != ticket.request.model or strip:
                return encode_request(ticket.request, model=upstream, strip_extras=strip)
            return ticket.request.raw
        body: dict[str, Any] = dict(ticket.client_body or {})
        changed = body.get("model") != upstream
        body["model"] = upstream
        if ticket.wire == "chat" and ticket.request.stream and not ticket.include_usage:
            options = body.get("stream_options")
            body["stream_options"] = {**(options if isinstance(options, dict) else {})}
            body["stream_options"]["include_usage"] = True  # usage is what we bill by
            changed = True
        return orjson.dumps(body) if changed else ticket.request.raw

    def _hub_body(self, ticket: Ticket, channel: Channel) -> dict[str, Any]:
        body = ticket.request.body
        if self.compacting(ticket, channel):
            body = summary_request(body)
        if has_compactions(body.get("input")):
            if self._compactor is None:
                raise RuntimeError("compaction items need a compactor")
            body = self._compactor.expand(body, ticket.principal.user.id)
        return body

    def _sealing(self, ticket: Ticket) -> Callable[[str], str]:
        compactor = self._compactor
        if compactor is None:
            raise RuntimeError("emulated compaction needs a compactor")
        user_id = ticket.principal.user.id
        return lambda summary: compactor.seal(summary, user_id)


def _output_text(response: Mapping[str, Any]) -> str:
    parts: list[str] = []
    for item in response.get("output") or ():
        if isinstance(item, Mapping) and item.get("type") == "message":
            for part in item.get("content") or ():
                if isinstance(part, Mapping) and isinstance(part.get("text"), str):
                    parts.append(part["text"])
    return "".join(parts).strip()
