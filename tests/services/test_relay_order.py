"""The relay's durability rule, checked in process: the log row is written before the
terminal event leaves, and a client that goes away is logged as such."""

from __future__ import annotations

import asyncio
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
from fourk.providers.sim import SimProvider
from fourk.routing.channel import Channel
from fourk.routing.health import ChannelHealth
from fourk.services.authentication import Principal
from fourk.services.relay import ClientGone, Relay, Ticket
from fourk.settings import Settings
from fourk.sim.options import SimOptions
from fourk.store.logs import LogRow

pytestmark = pytest.mark.asyncio

NOW = datetime(2026, 11, 27, tzinfo=UTC)
CHANNEL = Channel(id=1, name="sim", kind="sim", base_url="sim://", models=("m",))


class Journal:
    """Records, in order, what the relay did: log writes and client sends."""

    def __init__(self, log_delay: float = 0.02, gone_after: int | None = None) -> None:
        self.entries: list[tuple[str, Any]] = []
        self._log_delay = log_delay
        self._gone_after = gone_after

    async def write(self, row: LogRow) -> None:
        await asyncio.sleep(self._log_delay)  # a slow commit must still come first
        self.entries.append(("log", row))

    async def start(self, status: int, headers: Mapping[str, str]) -> None:
        self.entries.append(("start", status))

    async def send(self, data: bytes) -> None:
        sends = sum(1 for kind, _ in self.entries if kind == "send")
        if self._gone_after is not None and sends >= self._gone_after:
            raise ClientGone
        self.entries.append(("send", data))

    async def finish(self, data: bytes) -> None:
        await self.send(data)
        self.entries.append(("end", None))


class FakeDirectory:
    def __init__(self) -> None:
        self.by_model = {"m": [CHANNEL]}
        self.aliases: dict[str, str] = {}

    def served_models(self) -> list[str]:
        return ["m"]


def make_relay(journal: Journal, tmp_path: Path) -> Relay:
    return Relay(
        settings=Settings.load(env={}, data_dir=tmp_path),
        directory=FakeDirectory(),  # type: ignore[arg-type]
        providers={"sim": SimProvider(SimOptions(chunks=4, coalesce=False))},
        writer=journal,  # type: ignore[arg-type]
        health=ChannelHealth(),
    )


def ticket(stream: bool = True) -> Ticket:
    raw = orjson.dumps({"model": "m", "stream": stream, "input": "order please"})
    user = User(id=7, username="u", role="user", status="active", created_at=NOW)
    key = ApiKey(
        id=3,
        user_id=7,
        name="k",
        prefix="sk-abcd",
        digest="d",
        models=None,
        expires_at=None,
        revoked_at=None,
        created_at=NOW,
    )
    return Ticket(
        request_id="req_test",
        principal=Principal(key=key, user=user),
        request=decode_request(raw),
        client=ClientInfo("codex_exec", "0.171.0"),
        headers={},
        started=time.monotonic(),
    )


async def test_log_row_is_committed_before_the_terminal_event(tmp_path: Path) -> None:
    journal = Journal()
    assert await make_relay(journal, tmp_path).responses(ticket(), journal) is None
    kinds = [kind for kind, _ in journal.entries]
    terminal_at = next(
        i
        for i, (kind, data) in enumerate(journal.entries)
        if kind == "send" and b"response.completed" in data
    )
    assert kinds.index("log") < terminal_at
    assert kinds.count("log") == 1
    # the terminal event ends the answer in the same write
    assert kinds[terminal_at + 1 :] == ["end"]
    row = journal.entries[kinds.index("log")][1]
    assert row.status == 200 and row.output_tokens > 0 and row.client == "codex_exec"
    # everything before the terminal event had already gone out before the log write
    assert any(
        b"response.output_text.delta" in data
        for kind, data in journal.entries[:terminal_at]
        if kind == "send"
    )


async def test_client_gone_is_logged_499(tmp_path: Path) -> None:
    journal = Journal(gone_after=1)
    await make_relay(journal, tmp_path).responses(ticket(), journal)
    rows = [data for kind, data in journal.entries if kind == "log"]
    assert len(rows) == 1 and rows[0].status == 499 and rows[0].error_code == "client_closed"


async def test_whole_answer_is_logged_before_it_is_returned(tmp_path: Path) -> None:
    journal = Journal()
    reply = await make_relay(journal, tmp_path).responses(ticket(stream=False), journal)
    assert reply is not None and reply.status == 200
    rows = [data for kind, data in journal.entries if kind == "log"]
    assert len(rows) == 1 and rows[0].input_tokens > 0 and not rows[0].stream


async def test_client_gone_at_the_terminal_event_still_writes_one_row(tmp_path: Path) -> None:
    journal = Journal(gone_after=0)
    relay = Relay(
        settings=Settings.load(env={}, data_dir=tmp_path),
        directory=FakeDirectory(),  # type: ignore[arg-type]
        providers={"sim": SimProvider(SimOptions(chunks=4))},  # one chunk: terminal included
        writer=journal,  # type: ignore[arg-type]
        health=ChannelHealth(),
    )
    await relay.responses(ticket(), journal)
    rows = [data for kind, data in journal.entries if kind == "log"]
    assert len(rows) == 1


async def test_last_event_without_its_blank_line_still_completes(tmp_path: Path) -> None:
    class Unterminated(SimProvider):
        async def open(self, call):  # type: ignore[no-untyped-def]
            reply = await super().open(call)
            whole = await reply.read_all(1 << 20)
            from fourk.providers.sim import SimReplyAdapter

            return SimReplyAdapter(200, reply.headers, whole.rstrip(b"\n"))

    journal = Journal()
    relay = Relay(
        settings=Settings.load(env={}, data_dir=tmp_path),
        directory=FakeDirectory(),  # type: ignore[arg-type]
        providers={"sim": Unterminated(SimOptions(chunks=4))},
        writer=journal,  # type: ignore[arg-type]
        health=ChannelHealth(),
    )
    await relay.responses(ticket(), journal)
    sent = b"".join(data for kind, data in journal.entries if kind == "send")
    assert sent.endswith(b"\n\n") and b"response.completed" in sent
    assert b"response.failed" not in sent
