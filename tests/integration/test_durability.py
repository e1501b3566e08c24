"""A crash (kill -9) under streaming load loses no log row of a request that completed."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import make_gateway
from tests.integration.test_relay import body
from tests.support.processes import start_fourk, start_sim

pytestmark = pytest.mark.asyncio


async def stream_once(
    session: aiohttp.ClientSession, url: str, key: str, completed: list[str]
) -> None:
    try:
        async with session.post(
            url + "/responses",
            json=body("durable"),
            headers={"Authorization": f"Bearer {key}", "x-sim-gap-ms": "10"},
        ) as response:
            raw = await response.read()
            if b"response.completed" in raw:
                completed.append(response.headers["X-Request-Id"])
    except (aiohttp.ClientError, ConnectionError):
        pass  # cut off by the crash: the client never saw it complete


async def test_kill_9_loses_no_completed_request(tmp_path: Path) -> None:
    sim = start_sim(tmp_path)
    gateway = make_gateway(tmp_path, [sim])
    completed: list[str] = []
    try:
        async with aiohttp.ClientSession() as session:

            async def worker() -> None:
                while True:
                    await stream_once(session, gateway.url, gateway.key, completed)

            workers = [asyncio.create_task(worker()) for _ in range(16)]
            while len(completed) < 150:  # noqa: ASYNC110 (a poll is what we want here)
                await asyncio.sleep(0.05)
            gateway.server.stop(signal.SIGKILL)
            await asyncio.sleep(0.3)
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        with sqlite3.connect(gateway.data_dir / "fourk.db") as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            logged = {row[0] for row in db.execute("SELECT request_id FROM request_logs")}
        missing = [rid for rid in completed if rid not in logged]
        assert not missing, f"{len(missing)} of {len(completed)} completed requests lost"
        with sqlite3.connect(gateway.data_dir / "fourk.db") as db:
            charged = dict(
                db.execute("SELECT request_id, COUNT(*) FROM ledger WHERE kind = 'charge' "
                           "GROUP BY request_id").fetchall()
            )  # fmt: skip
            costs = dict(db.execute("SELECT request_id, cost FROM request_logs").fetchall())
            balances = db.execute(
                "SELECT u.balance, COALESCE(SUM(l.amount), 0) FROM users u "
                "LEFT JOIN ledger l ON l.user_id = u.id GROUP BY u.id"
            ).fetchall()
        # every completed request charged exactly once, as its log row says; no money lost
        assert all(charged.get(rid) == 1 and costs[rid] > 0 for rid in completed)
        assert set(charged) <= set(costs)  # no charge without its log row
        assert all(balance == total and balance >= 0 for balance, total in balances)
        # and the server starts again on the same data
        again = start_fourk(gateway.data_dir)
        again.stop()
    finally:
        gateway.server.stop()
        sim.stop()
