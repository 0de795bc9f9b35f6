"""`python -m bench.history`: what history and replay cost, on real servers.

1. Insert cost: the stream's wire latency p95 at ~15,000 msgs/s with the history store on and
   off, alternated (off, on, off, on, ...) in one run.
2. Candles: /api/candles over a stored day of 1 s candles (86,400 of them), page by page
   (limit 10,000) and the whole day as consecutive pages.
3. Replay: a recording played with `speed=max`: the rate the hub publishes at, read from the
   hub's seq in /healthz, with no client and without history (the hub alone) and with it.

Results go to bench/results/history-STAMP.json (git-ignored); a summary is printed.
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx

from bench.arguments import count, positive
from bench.load import drive, latency_summary
from bench.loads import market_rate
from bench.machine import cpu_model
from bench.progress import Progress
from bench.server import start_server
from bench.settings import RESULTS_DIR
from client.candles import INTERVALS
from client.protocol import config
from server.history.sqlite import SqliteHistory
from server.hub import encode
from server.recording import RecordingWriter
from server.simulator import Market, default_symbols

STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
INSERT_SYMBOLS = 86  # 86 symbols * 1.75 msgs per tick every 10 ms + 1 system/s: 15,051 msgs/s
INSERT_FREQUENCY_MS = 10
DAY_S = 86_400
US = 1_000_000
PAGE_LIMIT = 10_000
REPLAY_MESSAGES = 600_000
POLL_S = 0.25
HTTP_TIMEOUT_S = 30.0


def stamp() -> str:
    return datetime.now(UTC).strftime(STAMP_FORMAT)


def insert_cost(
    rounds: int, warmup_s: float, duration_s: float, progress: Progress
) -> dict[str, Any]:
    market_args = ("--symbols", str(INSERT_SYMBOLS), "--frequency-ms", str(INSERT_FREQUENCY_MS),
                   "--seed", "1")  # fmt: skip
    cells: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
    for round_ in range(rounds):
        for mode in ("off", "on"):
            with tempfile.TemporaryDirectory(prefix="tickscope-bench-history-") as directory:
                store = "none" if mode == "off" else f"sqlite:///{directory}/history.sqlite3"
                with start_server(*market_args, "--history", store) as server:
                    target = f"{server.ws_url} {server.origin}"
                    result = asyncio.run(drive([target], 1, warmup_s, duration_s))
                    health = httpx.get(server.url + "/healthz", timeout=HTTP_TIMEOUT_S).json()
            client = result["clients"][0]
            cell = {"round": round_ + 1, "rate": client["rate"], "latency_ms": result["latency_ms"],
                    "gaps": client["gaps"], "history": health["history"]}  # fmt: skip
            cells[mode].append(cell)
            progress.step(
                f"insert cost, history {mode}, round {round_ + 1}: {client['rate']:,.0f} msgs/s, "
                f"wire p95 {result['latency_ms']['p95']} ms"
            )
    p95 = {mode: median([c["latency_ms"]["p95"] for c in cells[mode]]) for mode in cells}
    return {
        "target_msgs_per_s": round(market_rate(INSERT_SYMBOLS, INSERT_FREQUENCY_MS) + 1),
        "cells": cells,
        "median_p95_ms": p95,
        "on_vs_off": round(p95["on"] / p95["off"], 3) if p95["off"] else None,
    }


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def day_of_candles(path: Path, symbol: str, start_us: int) -> None:
    """A day of one price a second, written through the store's own insert path."""
    history = SqliteHistory(f"sqlite:///{path}", retention_s=30 * DAY_S)
    history.open()
    batch = []
    for second in range(DAY_S):
        ts = start_us + second * US
        price = 100.0 + (second % 600) / 100
        batch.append({"type": "price", "symbol": symbol, "price": price, "volume": 1, "ts": ts})
        batch.append({"type": "trade", "symbol": symbol, "price": price, "size": 0.5,
                      "side": "buy", "ts": ts})  # fmt: skip
        if len(batch) >= 20_000:
            for message in batch:
                history.candles.add(message)
            history.insert(batch, history.candles.take_changed())
            batch = []
    for message in batch:
        history.candles.add(message)
    history.insert(batch, history.candles.take_changed())
    history.close()


def candle_queries(repeats: int, progress: Progress) -> dict[str, Any]:
    symbol = "BTC/USD"
    start = (time.time_ns() // 1000 - 2 * DAY_S * US) // US * US
    with tempfile.TemporaryDirectory(prefix="tickscope-bench-candles-") as directory:
        path = Path(directory) / "history.sqlite3"
        progress.step("writing a day of 1 s candles")
        day_of_candles(path, symbol, start)
        args = ("--history", f"sqlite:///{path}", "--retention", "30d", "--symbols", symbol)
        with start_server(*args) as server, httpx.Client(timeout=HTTP_TIMEOUT_S) as http:
            pages_ms: list[float] = []
            days_ms: list[float] = []
            candles = 0
            for _ in range(repeats):
                query: dict[str, str | int] = {
                    "symbol": symbol,
                    "interval": "1s",
                    "from": start,
                    "to": start + DAY_S * US,
                    "limit": PAGE_LIMIT,
                }
                began = time.perf_counter()
                candles = 0
                while True:
                    page_began = time.perf_counter()
                    answer = http.get(server.url + "/api/candles", params=query).json()
                    pages_ms.append((time.perf_counter() - page_began) * 1000)
                    candles += len(answer["candles"])
                    if answer["next"] is None:
                        break
                    query.update(answer["next"])
                days_ms.append((time.perf_counter() - began) * 1000)
    result: dict[str, Any] = {"candles": candles, "page_limit": PAGE_LIMIT,
              "page_ms": latency_summary(pages_ms), "day_ms": latency_summary(days_ms)}  # fmt: skip
    progress.step(
        f"candles: a {PAGE_LIMIT:,}-candle page p95 {result['page_ms']['p95']} ms; the day "
        f"({candles:,} candles) p95 {result['day_ms']['p95']} ms"
    )
    return result


def make_recording(directory: Path, messages: int) -> None:
    symbols = default_symbols(16)
    market = Market(symbols, seed=3)
    writer = RecordingWriter(directory, 1 << 40, config(10, symbols, "bench"))
    writer.start()
    seq = 0
    tick = 0
    while seq < messages:
        for message in market.step(tick * 10_000):
            seq += 1
            message["seq"] = seq
            writer.write(message, encode(message))
        tick += 1
    writer.stop()


def replay_rate(history: bool, recording: Path, progress: Progress) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tickscope-bench-replay-") as directory:
        store = f"sqlite:///{directory}/history.sqlite3" if history else "none"
        args = ("--source", f"replay://{recording}?speed=max", "--history", store)
        with start_server(*args) as server, httpx.Client(timeout=HTTP_TIMEOUT_S) as http:
            samples: list[tuple[float, int]] = []
            while True:
                seq = http.get(server.url + "/healthz").json()["seq"]
                samples.append((time.monotonic(), seq))
                if len(samples) > 2 and samples[-1][1] == samples[-2][1] == samples[-3][1]:
                    break  # the replay has ended: only the system stream moves the seq now
                time.sleep(POLL_S)
    busy = [(t, s) for t, s in samples if s > samples[0][1]]
    rates = [(s2 - s1) / (t2 - t1) for (t1, s1), (t2, s2) in pairwise(samples) if s2 > s1 + 10]
    total = samples[-1][1] - samples[0][1]
    span = busy[-1][0] - samples[0][0] if busy else 0.0
    result = {"history": history, "messages": total, "seconds": round(span, 2),
              "mean_msgs_per_s": round(total / span) if span else None,
              "peak_msgs_per_s": round(max(rates)) if rates else None}  # fmt: skip
    progress.step(
        f"replay speed=max, history {'on' if history else 'off'}: {total:,} messages, mean "
        f"{result['mean_msgs_per_s']:,} msgs/s, peak {result['peak_msgs_per_s']:,} msgs/s"
    )
    return result


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m bench.history", description=__doc__.split("\n\n")[0]
    )
    cli.add_argument("--rounds", type=count, default=2, help="off/on pairs (default %(default)s)")
    cli.add_argument("--duration", type=positive, default=10.0, help="s per cell (default 10)")
    cli.add_argument("--warmup", type=positive, default=3.0, help="s before each (default 3)")
    cli.add_argument("--queries", type=count, default=10, help="days read (default %(default)s)")
    cli.add_argument("--replay-messages", type=count, default=REPLAY_MESSAGES)
    cli.add_argument("--output", type=Path, default=None, help="(default bench/results/...)")
    return cli


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    progress = Progress()
    output = args.output or RESULTS_DIR / f"history-{stamp()}.json"
    result: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "cpu": cpu_model(), "python": sys.version.split()[0]},
        "intervals": list(INTERVALS),
    }
    result["insert"] = insert_cost(args.rounds, args.warmup, args.duration, progress)
    result["candles"] = candle_queries(args.queries, progress)
    with tempfile.TemporaryDirectory(prefix="tickscope-bench-recording-") as directory:
        progress.step(f"recording {args.replay_messages:,} messages to replay")
        make_recording(Path(directory), args.replay_messages)
        result["replay"] = [replay_rate(False, Path(directory), progress),
                            replay_rate(True, Path(directory), progress)]  # fmt: skip
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    insert = result["insert"]
    print(
        f"history insert at ~{insert['target_msgs_per_s']:,} msgs/s: wire p95 "
        f"{insert['median_p95_ms']['off']} ms off, {insert['median_p95_ms']['on']} ms on "
        f"({insert['on_vs_off']}x)\n"
        f"/api/candles: page of {PAGE_LIMIT:,} p95 {result['candles']['page_ms']['p95']} ms; "
        f"a day ({result['candles']['candles']:,}) p95 {result['candles']['day_ms']['p95']} ms\n"
        f"replay speed=max: {result['replay'][0]['mean_msgs_per_s']:,} msgs/s without history, "
        f"{result['replay'][1]['mean_msgs_per_s']:,} with\n"
        f"wrote {output}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
