"""`python -m bench.encoding`: JSON or MessagePack on the wire, measured (issue 8).

For the same market frames (one price, one book, and the 16 ms batch of a 10,000 msgs/s
stream), it measures the server's encode cost per message (orjson against msgpack), the bytes
on the wire, and each engine's decode cost per frame: JSON.parse against @msgpack/msgpack for
the JS engine, and json.loads against msgpack's pure-Python decoder for Pyodide and
MicroPython (a browser Python without compiled wheels has no other), run by bench/encoding.mjs
in the engines' own interpreters under Node (V8, as in Chromium).

Writes <output>/encoding-<time>.json and prints a table.
"""

import argparse
import base64
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgpack  # type: ignore[import-untyped]
import orjson

from bench.arguments import positive
from bench.machine import load_average
from bench.node import node_machine, run_node
from bench.settings import RESULTS_DIR
from server.settings import ROOT
from server.simulator import Market, default_symbols
from server.vendor import micropython_loader_uri

HIGH_RATE_SYMBOLS = 57  # the 10,000 msgs/s load: 57 symbols every 10 ms
BATCH_MS = 16
TICK_MS = 10
SEED = 1
TS_US = 1_795_000_000_000_000  # a realistic µs timestamp (above 2^50)
ENCODE_SECONDS = 1.0
DEFAULT_DECODE_SECONDS = 1.0
MSGPACK_SOURCES = ("__init__.py", "exceptions.py", "ext.py", "fallback.py")
NODE_MODULES = ROOT / "node_modules"
PYODIDE_DIR = NODE_MODULES / "pyodide"
MSGPACK_JS = NODE_MODULES / "@msgpack" / "msgpack" / "dist.esm" / "index.mjs"
RUNNER = Path(__file__).with_name("encoding.mjs")


def market_messages(count: int) -> list[dict[str, Any]]:
    """`count` messages of the high-rate market, with seq and ts as the hub sends them."""
    market = Market(default_symbols(HIGH_RATE_SYMBOLS), seed=SEED)
    messages: list[dict[str, Any]] = []
    tick = 0
    while len(messages) < count:
        for message in market.step(TS_US + tick * TICK_MS * 1000):
            messages.append({**message, "seq": len(messages) + 1})
        tick += 1
    return messages[:count]


def frames() -> list[dict[str, Any]]:
    """One price, one book, and one 16 ms batch of the 10,000 msgs/s stream."""
    batch = market_messages(10_000 * BATCH_MS // 1000)
    price = next(m for m in batch if m["type"] == "price")
    book = next(m for m in batch if m["type"] == "book")
    return [
        {"name": "price", "messages": [price], "value": price},
        {"name": "book", "messages": [book], "value": book},
        {"name": f"batch of {len(batch)}", "messages": batch, "value": batch},
    ]


def per_call_us(encode: Callable[[Any], bytes], values: list[Any]) -> float:
    calls = 0
    started = time.perf_counter()
    while time.perf_counter() - started < ENCODE_SECONDS:
        for value in values:
            encode(value)
        calls += len(values)
    return (time.perf_counter() - started) * 1e6 / calls


def server_side(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """Encode cost per message and bytes per message, each format."""
    packer = msgpack.Packer()
    return {
        "json": {
            "encode_us": per_call_us(orjson.dumps, messages),
            "bytes": sum(len(orjson.dumps(m)) for m in messages) / len(messages),
        },
        "msgpack": {
            "encode_us": per_call_us(packer.pack, messages),
            "bytes": sum(len(packer.pack(m)) for m in messages) / len(messages),
        },
    }


def decode_in_engines(items: list[dict[str, Any]], seconds: float) -> list[dict[str, Any]]:
    package = Path(msgpack.__file__).parent
    setup = {
        "pyodide": str(PYODIDE_DIR),
        "micropython": micropython_loader_uri(ROOT),
        "msgpack_js": str(MSGPACK_JS),
        "fallback": {
            f"msgpack/{name}": (package / name).read_text(encoding="utf-8")
            for name in MSGPACK_SOURCES
        },
        "frames": [
            {
                "name": item["name"],
                "json": orjson.dumps(item["value"]).decode(),
                "msgpack": base64.b64encode(msgpack.packb(item["value"])).decode(),
            }
            for item in items
        ],
        "seconds": seconds,
    }
    results: list[dict[str, Any]] = run_node(RUNNER, setup, "bench.encoding")
    return results


def table(server: dict[str, Any], decoded: list[dict[str, Any]], items: list[Any]) -> str:
    lines = [
        "| | JSON | MessagePack |",
        "|---|---|---|",
        f"| server encode, µs/msg | {server['json']['encode_us']:.2f} "
        f"| {server['msgpack']['encode_us']:.2f} |",
        f"| bytes/msg | {server['json']['bytes']:.0f} | {server['msgpack']['bytes']:.0f} |",
    ]
    cost = {(r["engine"], r["codec"], r["frame"]): r.get("us") for r in decoded}
    for engine in ("js", "py", "mpy"):
        for item in items:
            json_us, msgpack_us = (
                cost.get((engine, codec, item["name"])) for codec in ("json", "msgpack")
            )
            label = f"{engine} decode, {item['name']}, µs"
            lines.append(f"| {label} | {number(json_us)} | {number(msgpack_us)} |")
    return "\n".join(lines)


def number(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.encoding", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--seconds", type=positive, default=DEFAULT_DECODE_SECONDS, help="per decode measurement"
    )
    parser.add_argument("--output", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    load_at_start = load_average()
    items = frames()
    server = server_side(items[-1]["messages"])
    decoded = decode_in_engines(items, args.seconds)
    stamp = datetime.now(UTC)
    result = {
        "date": stamp.isoformat(timespec="seconds"),
        "machine": node_machine(load_at_start),
        "server": server,
        "decode_us": decoded,
        "frames": {item["name"]: len(item["messages"]) for item in items},
    }
    args.output.mkdir(parents=True, exist_ok=True)
    path = args.output / f"encoding-{stamp.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(table(server, decoded, items))
    for error in sorted(
        {f"{row['engine']}: {row['error']}" for row in decoded if row.get("error")}
    ):
        print(error, file=sys.stderr)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
