"""The model catalog without a server: which names route where, which are listed, what the
upstream receives for an alias, and the operator's input checks."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from fourk.accounts.records import ApiKey, User
from fourk.protocols.client import ClientInfo
from fourk.protocols.responses.request import decode_request
from fourk.providers.base import UpstreamCall, UpstreamReply
from fourk.providers.sim import SimReplyAdapter
from fourk.routing.catalog import CatalogEntry, index_models
from fourk.routing.channel import Channel
from fourk.routing.health import ChannelHealth
from fourk.services.authentication import Principal
from fourk.services.models_catalog import CatalogError, catalog_view, check_entry
from fourk.services.relay import Relay, Ticket
from fourk.settings import Settings
from fourk.store.logs import LogRow

NOW = datetime(2026, 11, 27, tzinfo=UTC)
A = Channel(id=1, name="a", kind="rec", base_url="http://a", models=("gpt-5", "mini"))
B = Channel(id=2, name="b", kind="rec", base_url="http://b", models=("gpt-5",), priority=1)
OFF = Channel(id=3, name="off", kind="rec", base_url="http://c", models=("old",), enabled=False)


def test_channel_models_route_and_are_listed_by_name() -> None:
    index = index_models([A, B, OFF], [])
    assert index.by_model == {"gpt-5": [A, B], "mini": [A]}
    assert index.targets == {}
    assert index.listed == ("gpt-5", "mini")  # a disabled channel's model is not served


def test_an_alias_routes_as_its_target_and_is_listed() -> None:
    index = index_models([A, B], [CatalogEntry("fast", alias_of="gpt-5")])
    assert index.by_model["fast"] == [A, B]
    assert index.targets == {"fast": "gpt-5"}
    assert "fast" in index.listed


@pytest.mark.parametrize(
    "entry",
    [
        CatalogEntry("mini", alias_of="gpt-5"),  # would shadow a served model
        CatalogEntry("ghost", alias_of="old"),  # the target is not served (channel disabled)
        CatalogEntry("ghost", alias_of="nowhere"),
    ],
)
def test_aliases_that_cannot_route_are_ignored(entry: CatalogEntry) -> None:
    index = index_models([A, B, OFF], [entry])
    assert index.targets == {}
    assert index.by_model["mini"] == [A]
    assert "ghost" not in index.by_model


def test_an_alias_of_an_alias_does_not_route() -> None:
    entries = [CatalogEntry("fast", alias_of="gpt-5"), CatalogEntry("faster", alias_of="fast")]
    index = index_models([A], entries)
    assert index.targets == {"fast": "gpt-5"}


def test_hidden_names_route_but_are_not_listed_and_positions_order_the_list() -> None:
    entries = [
        CatalogEntry("mini", visible=False),
        CatalogEntry("fast", alias_of="gpt-5", position=-1),
        CatalogEntry("gpt-5", position=5),
    ]
    index = index_models([A], entries)
    assert "mini" in index.by_model and "mini" not in index.listed
    assert index.listed == ("fast", "gpt-5")


def test_check_entry_tidies_and_refuses() -> None:
    served = {"gpt-5", "mini"}
    entry = check_entry(CatalogEntry(" fast ", alias_of=" gpt-5 ", description="  "), served)
    assert entry == CatalogEntry("fast", alias_of="gpt-5", description=None)
    assert check_entry(CatalogEntry("mini", visible=False), served).visible is False
    for bad, words in [
        (CatalogEntry("two words"), "no spaces"),
        (CatalogEntry("x" * 129), "128"),
        (CatalogEntry("fast", alias_of="fast"), "itself"),
        (CatalogEntry("mini", alias_of="gpt-5"), "name of its own"),
        (CatalogEntry("fast", alias_of="nope"), "No channel serves 'nope'"),
        (CatalogEntry("fast", description="d" * 501), "at most 500"),
    ]:
        with pytest.raises(CatalogError, match=words):
            check_entry(bad, served)


def test_catalog_view_shows_served_models_aliases_and_unserved_rows() -> None:
    entries = [CatalogEntry("fast", alias_of="mini"), CatalogEntry("later", description="soon")]
    views = {v.name: v for v in catalog_view([A, B], entries)}
    assert views["gpt-5"].channels == ("a", "b") and not views["gpt-5"].in_catalog
    assert views["fast"].channels == ("a",) and views["fast"].alias_of == "mini"
    assert views["later"].channels == () and not views["later"].routable


# ---- the relay: what the upstream receives -------------------------------------------------


class Recorder:
    """A provider that records each call and answers a small whole response."""

    kind = "rec"
    wire = "responses"

    def __init__(self) -> None:
        self.calls: list[UpstreamCall] = []

    async def open(self, call: UpstreamCall) -> UpstreamReply:
        self.calls.append(call)
        body: dict[str, Any] = {"id": "resp_1", "status": "completed", "output": [], "usage": None}
        return SimReplyAdapter(200, {}, orjson.dumps(body))

    async def close(self) -> None:
        return None


class Directory:
    def __init__(self, channels: list[Channel], entries: list[CatalogEntry]) -> None:
        index = index_models(channels, entries)
        self.by_model = index.by_model
        self.aliases = index.targets
        self._listed = index.listed

    def served_models(self) -> list[str]:
        return list(self._listed)


class Writer:
    async def write(self, row: LogRow) -> None:
        return None


class NoSink:
    async def start(self, status: int, headers: Mapping[str, str]) -> None:
        raise AssertionError("a whole answer is returned, not streamed")

    async def send(self, data: bytes) -> None:
        raise AssertionError

    async def finish(self, data: bytes) -> None:
        raise AssertionError


def ticket(model: str) -> Ticket:
    raw = orjson.dumps({"model": model, "stream": False, "input": "hi", "x_extra": 1})
    user = User(id=7, username="u", role="user", status="active", created_at=NOW)
    key = ApiKey(7, 7, "k", "sk-abcd", "d", None, None, None, NOW)
    return Ticket(
        request_id="req_t",
        principal=Principal(key=key, user=user),
        request=decode_request(raw),
        client=ClientInfo(None, None),
        headers={},
        started=time.monotonic(),
    )


async def relayed(
    tmp: Path, model: str, channel: Channel, entries: list[CatalogEntry]
) -> UpstreamCall:
    recorder = Recorder()
    relay = Relay(
        settings=Settings.load(env={}, data_dir=tmp),
        directory=Directory([channel], entries),  # type: ignore[arg-type]
        providers={"rec": recorder},
        writer=Writer(),  # type: ignore[arg-type]
        health=ChannelHealth(),
    )
    reply = await relay.responses(ticket(model), NoSink())
    assert reply is not None and reply.status == 200
    (call,) = recorder.calls
    return call


def sent(call: UpstreamCall) -> dict[str, Any]:
    body = orjson.loads(call.body)
    assert isinstance(body, dict)
    return body


async def test_a_plain_model_is_forwarded_byte_for_byte(tmp_path: Path) -> None:
    call = await relayed(tmp_path, "gpt-5", A, [CatalogEntry("fast", alias_of="gpt-5")])
    assert call.body == ticket("gpt-5").request.raw


async def test_an_alias_reaches_the_upstream_as_its_target(tmp_path: Path) -> None:
    call = await relayed(tmp_path, "fast", A, [CatalogEntry("fast", alias_of="gpt-5")])
    assert sent(call) == {"model": "gpt-5", "stream": False, "input": "hi", "x_extra": 1}


async def test_the_channel_model_map_applies_to_the_target(tmp_path: Path) -> None:
    mapped = Channel(
        id=9,
        name="m",
        kind="rec",
        base_url="http://m",
        models=("gpt-5",),
        options={"model_map": {"gpt-5": "gpt-5-2026-01"}},
    )
    call = await relayed(tmp_path, "fast", mapped, [CatalogEntry("fast", alias_of="gpt-5")])
    assert sent(call)["model"] == "gpt-5-2026-01"
    call = await relayed(tmp_path, "gpt-5", mapped, [])
    assert sent(call)["model"] == "gpt-5-2026-01"
