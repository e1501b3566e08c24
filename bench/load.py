"""Load generator: streaming POST /responses at a fixed concurrency, one JSON summary out.

    python bench/load.py --url http://127.0.0.1:8100/v1/responses --key sk-x \\
        --concurrency 16 --requests 2000

Each request is read to its end. A request counts as good when the status is 200 and the last
SSE event is ``response.completed``; everything else is a failure, counted by reason. Time to
first byte is taken at the first body chunk; total time at the end of the stream. A warm-up
(not counted) opens the connections first.

With ``--handshake`` (used by run.py) it prints ``warm`` after the warm-up, waits for a line on
stdin, runs the measured requests, prints ``done``, waits for another line, then prints the
JSON. That lets the caller read the server's CPU counters exactly around the measured part.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

DEFAULT_BODY = {
    "model": "sim-model",
    "stream": True,
    "input": [
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "hello bench"}],
        }
    ],
}
DELTA = b"response.output_text.delta"
COMPLETED = b"response.completed"
DONE_SENTINEL = b"data: [DONE]"


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of ``values`` (NaN when empty)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


class StreamCheck:
    """Incremental SSE watcher: counts text deltas and remembers the last event block."""

    def __init__(self) -> None:
        self.pending = b""
        self.last_event = b""
        self.deltas = 0

    def feed(self, chunk: bytes) -> None:
        buffer = self.pending + chunk
        if b"\r" in buffer:
            buffer = buffer.replace(b"\r\n", b"\n")
        blocks = buffer.split(b"\n\n")
        self.pending = blocks.pop()
        for block in blocks:
            self.take(block)

    def take(self, block: bytes) -> None:
        block = block.strip()
        if not block or block.startswith(b":") or block == DONE_SENTINEL:
            return
        self.last_event = block
        if DELTA in block:
            self.deltas += 1

    def flush(self) -> None:
        self.take(self.pending)
        self.pending = b""

    @property
    def completed(self) -> bool:
        return COMPLETED in self.last_event


@dataclass
class Tally:
    """What the measured requests produced."""

    ttfb_ms: list[float] = field(default_factory=list)
    total_ms: list[float] = field(default_factory=list)
    deltas: list[int] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


async def one_request(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str], tally: Tally
) -> None:
    """Send one streaming request, read it to the end, record the outcome in ``tally``."""
    check = StreamCheck()
    first: float | None = None
    start = time.perf_counter()
    try:
        async with session.post(url, data=body, headers=headers) as response:
            if response.status != 200:
                tally.errors[failure_reason(response.status, await response.read())] += 1
                return
            async for chunk in response.content.iter_any():
                if first is None:
                    first = time.perf_counter()
                check.feed(chunk)
    except (aiohttp.ClientError, TimeoutError) as exc:
        tally.errors[type(exc).__name__] += 1
        return
    end = time.perf_counter()
    check.flush()
    if not check.completed or first is None:
        tally.errors["no response.completed at end"] += 1
    else:
        tally.ttfb_ms.append((first - start) * 1000)
        tally.total_ms.append((end - start) * 1000)
        tally.deltas.append(check.deltas)


def failure_reason(status: int, body: bytes) -> str:
    """``status N`` plus the error's code (or type) when the body is an OpenAI-style error,
    e.g. ``status 429 insufficient_quota``."""
    try:
        error = json.loads(body).get("error")
    except (ValueError, AttributeError):
        return f"status {status}"
    code = error.get("code") or error.get("type") if isinstance(error, dict) else None
    return f"status {status} {code}" if isinstance(code, str) and code else f"status {status}"


async def run_batch(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    headers: dict[str, str],
    concurrency: int,
    count: int,
) -> Tally:
    """Run ``count`` requests with ``concurrency`` workers sharing one work iterator."""
    tally = Tally()
    work: Iterator[int] = iter(range(count))

    async def worker() -> None:
        for _ in work:
            await one_request(session, url, body, headers, tally)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return tally


def summarize(tally: Tally, requests: int, elapsed: float, raw: bool) -> dict[str, Any]:
    """The JSON summary of one measured batch."""
    ok = len(tally.ttfb_ms)
    summary: dict[str, Any] = {
        "requests": requests,
        "ok": ok,
        "failures": requests - ok,
        "errors": dict(tally.errors),
        "elapsed_s": round(elapsed, 4),
        "rps": round(ok / elapsed, 2) if elapsed > 0 else 0.0,
        "ttfb_ms": stats(tally.ttfb_ms),
        "total_ms": stats(tally.total_ms),
        "deltas_min": min(tally.deltas, default=0),
        "deltas_max": max(tally.deltas, default=0),
    }
    if raw:
        summary["raw"] = {
            "ttfb_ms": [round(v, 4) for v in tally.ttfb_ms],
            "total_ms": [round(v, 4) for v in tally.total_ms],
        }
    return summary


def stats(values: Sequence[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(values, 50), 4),
        "p99": round(percentile(values, 99), 4),
        "max": round(max(values, default=math.nan), 4),
    }


def signal_caller(word: str, handshake: bool) -> None:
    """In handshake mode: say ``word`` on stdout and wait for the caller's go-ahead line."""
    if handshake:
        print(word, flush=True)
        sys.stdin.readline()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    body = json.dumps({**DEFAULT_BODY, "model": args.model}).encode()
    headers = {
        "Authorization": f"Bearer {args.key}",
        "Content-Type": "application/json",
        "x-sim-chunks": str(args.chunks),
    }
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        warmup = args.warmup if args.warmup >= 0 else max(2 * args.concurrency, 20)
        await run_batch(session, args.url, body, headers, args.concurrency, warmup)
        signal_caller("warm", args.handshake)
        start = time.perf_counter()
        tally = await run_batch(session, args.url, body, headers, args.concurrency, args.requests)
        elapsed = time.perf_counter() - start
        signal_caller("done", args.handshake)
    summary = summarize(tally, args.requests, elapsed, args.raw)
    summary.update(url=args.url, concurrency=args.concurrency, warmup=warmup)
    return summary


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="streaming /responses load generator")
    parser.add_argument("--url", required=True, help="full URL, e.g. http://h:p/v1/responses")
    parser.add_argument("--key", default="sk-bench", help="sent as Authorization: Bearer KEY")
    parser.add_argument("--model", default=DEFAULT_BODY["model"])
    parser.add_argument("--concurrency", "-c", type=int, default=16)
    parser.add_argument("--requests", "-n", type=int, default=1000, help="measured requests")
    parser.add_argument("--warmup", type=int, default=-1, help="default: max(2*c, 20)")
    parser.add_argument("--chunks", type=int, default=20, help="x-sim-chunks header value")
    parser.add_argument("--timeout", type=float, default=30.0, help="per request, seconds")
    parser.add_argument("--raw", action="store_true", help="include every sample in the JSON")
    parser.add_argument("--handshake", action="store_true", help="warm/done protocol (run.py)")
    return parser.parse_args(argv)


def main() -> None:
    summary = asyncio.run(run(parse_args()))
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
