"""`python -m bench.frame_cost`: what one animation frame costs the client under MicroPython.

The page's render time (`make bench`) is the Python views plus the page applying their writes,
on a machine the server shares. This isolates the first part: the same `client/` package, as
the MicroPython engine gets it, runs in PyScript's MicroPython interpreter under Node (V8, as in
Chromium) on a recorded market, one animation frame's messages at a time, with a bridge that
only counts what it is sent. It reports the CPU time per frame (which moves far less than wall
time when other processes take turns on the cores; still, compare runs made back to back: on
this VM it differed by ~20 % between busy and quiet minutes), each kind of view's cost per run,
and the characters a frame sends to the page.

Writes <output>/frames-<time>.json and prints a table.
"""

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.arguments import count
from bench.cli import loads as load_list
from bench.loads import load_for
from bench.machine import load_average
from bench.node import node_machine, run_node
from bench.settings import RESULTS_DIR
from client.protocol import DEFAULT_WINDOW, SYSTEM
from server.bundle import ClientBundle
from server.settings import ROOT, Settings
from server.simulator import Market, default_symbols
from server.snapshot import Recorder
from server.vendor import micropython_loader_uri

FRAME_MS = 1000.0 / 60.0
DEFAULT_LOADS = (1000, 1400)
DEFAULT_FRAMES = 600
WARMUP_FRAMES = 60  # the first frames write what binding found different; not measured
HISTORY_TICKS = 400  # market ticks before the snapshot: full sparklines from the start
SEED = 1
TS_US = 1_795_000_000_000_000
RUNNER = Path(__file__).with_name("frame_cost.mjs")


def recorded_market(target: int, frames: int) -> dict[str, Any]:
    """A snapshot after HISTORY_TICKS ticks of the market `load_for(target)` describes, then
    the JSON text of the messages each of `frames` animation frames receives."""
    load = load_for(target)
    symbols = default_symbols(load.symbols)
    market = Market(symbols, seed=SEED)
    recorder = Recorder({"type": "config", "frequency_ms": load.frequency_ms, "symbols": symbols})
    seq = 0
    tick = 0

    def step() -> list[dict[str, Any]]:
        nonlocal seq, tick
        messages = market.step(TS_US + tick * load.frequency_ms * 1000)
        tick += 1
        for message in messages:
            seq += 1
            message["seq"] = seq
            recorder.record(message)
        return messages

    for _ in range(HISTORY_TICKS):
        step()
    recorder.record(system_message(load.expected, seq))
    snapshot = recorder.snapshot(seq)
    per_frame: list[list[str]] = []
    for frame in range(frames):
        arrived: list[str] = []
        frame_end_ms = (HISTORY_TICKS * load.frequency_ms) + (frame + 1) * FRAME_MS
        while tick * load.frequency_ms < frame_end_ms:
            arrived += [json.dumps(message) for message in step()]
        per_frame.append(arrived)
    return {"load": load.describe(), "snapshot": json.dumps(snapshot), "frames": per_frame}


def system_message(rate: float, seq: int) -> dict[str, Any]:
    return {
        "type": SYSTEM,
        "cpu_pct": 12.5,
        "mem_mb": 123,
        "msg_rate": int(rate),
        "ts": TS_US,
        "seq": seq,
    }


def engine_files() -> dict[str, str]:
    """The files the MicroPython engine loads: the client package and its shims."""
    settings = Settings()
    bundle = ClientBundle.build(settings.client_dir, settings.micropython_shims_dir)
    return {name: source.decode() for name, source in bundle.sources.items()}


def run_in_micropython(market: dict[str, Any]) -> dict[str, Any]:
    setup = {
        "module": micropython_loader_uri(ROOT),
        "files": engine_files(),
        "market": market,
        "window": DEFAULT_WINDOW,
        "warmup": WARMUP_FRAMES,
    }
    result: dict[str, Any] = run_node(RUNNER, setup, "bench.frame_cost")
    return result


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| msgs/s | load | msgs/frame | CPU µs/frame mean | p50 | p95 "
        "| µs/run by view (runs/frame) | chars/frame |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in results:
        views = ", ".join(
            f"{kind} {cost['p50_us']:.0f} ({cost['runs_per_frame']:.1f})"
            for kind, cost in sorted(row["views"].items())
        )
        frame = row["frame_cpu_us"]
        lines.append(
            f"| {row['msgs_per_s']:,} | {row['load']} | {row['msgs_per_frame']:.1f} "
            f"| {frame['mean']:.0f} | {frame['p50']:.0f} | {frame['p95']:.0f} | {views} "
            f"| {row['chars_per_frame']:,.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.frame_cost", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--loads",
        type=load_list,
        default=DEFAULT_LOADS,
        help=f"comma list of msgs/s (default {','.join(map(str, DEFAULT_LOADS))})",
    )
    parser.add_argument(
        "--frames", type=count, default=DEFAULT_FRAMES, help="measured (default %(default)s)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    frames = args.frames + WARMUP_FRAMES
    load_at_start = load_average()
    results = []
    for target in args.loads:
        print(f"bench.frame_cost: {target:,} msgs/s, {args.frames} frames…", file=sys.stderr)
        measured = run_in_micropython(recorded_market(target, frames))
        results.append({"msgs_per_s": target, **measured})
    stamp = datetime.now(UTC)
    report = {
        "date": stamp.isoformat(timespec="seconds"),
        "machine": node_machine(load_at_start),
        "engine": "MicroPython under Node, the client as the mpy engine loads it",
        "results": results,
    }
    args.output.mkdir(parents=True, exist_ok=True)
    path = args.output / f"frames-{stamp.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
