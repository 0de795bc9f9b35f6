"""`python -m bench.indicator_cost`: the built-in indicators' cost per bar under Pyodide,
MicroPython (the engines' own npm packages) and the JS engine's public/analytics.js, under Node
(V8, as in Chromium), outside the page. `python -m bench` runs it too, shorter, when it
measures the chart (a `+chart` mode).

Each indicator updates on the same synthetic bars in each engine, `--repeats` times; the table
shows the median µs per bar and the spread. Writes <output>/indicators-<time>.json.
"""

import argparse
import json
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.arguments import count
from bench.machine import load_average
from bench.node import node_machine, run_node
from bench.settings import RESULTS_DIR
from server.settings import ROOT, Settings
from server.vendor import PYODIDE, micropython_loader_uri

RUNNER = Path(__file__).with_name("indicator_cost.mjs")
ENGINES = ("py", "mpy", "js")
JS_ANALYTICS = ROOT / "public" / "analytics.js"
CORE = ("__init__.py", "candles.py", "indicators.py", "protocol.py")
TARGET_US = 20.0  # issue 21: each built-in indicator under Pyodide
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
EN_DASH = "\N{EN DASH}"


def loader(engine: str) -> str:
    if engine == "js":
        return JS_ANALYTICS.as_uri()
    if engine == "py":
        return (PYODIDE.directory(ROOT / "node_modules") / "pyodide.mjs").as_uri()
    return micropython_loader_uri(ROOT)


def measure(engine: str, bars: int, repeats: int) -> dict[str, list[float]]:
    files = (
        {}
        if engine == "js"
        else {f"client/{name}": (ROOT / "client" / name).read_text() for name in CORE}
    )
    if engine == "mpy":  # the one shim the MicroPython engine is shipped (docs/engines.md)
        shims = Settings().micropython_shims_dir
        files.update({path.name: path.read_text() for path in shims.glob("*.py")})
    setup = {"engine": engine, "module": loader(engine), "files": files, "bars": bars,
             "warmup": min(bars, 1000), "repeats": repeats}  # fmt: skip
    result: dict[str, list[float]] = run_node(RUNNER, setup, "bench.indicator_cost")["us_per_bar"]
    return result


IN_BENCH_BARS = 5000  # `python -m bench`'s shorter measurement
IN_BENCH_REPEATS = 3


def per_bar_costs(engines: tuple[str, ...]) -> dict[str, dict[str, list[float]]]:
    """What `python -m bench` reports: each measured engine's runtime (the worker's is py's)."""
    runtimes = dict.fromkeys(
        e.removesuffix("-worker") for e in engines if e.removesuffix("-worker") in ENGINES
    )
    return {engine: measure(engine, IN_BENCH_BARS, IN_BENCH_REPEATS) for engine in runtimes}


def table(results: dict[str, dict[str, list[float]]]) -> str:
    names = sorted(next(iter(results.values())))
    lines = ["| indicator | " + " | ".join(f"{e} µs/bar" for e in results) + " |",
             "|---|" + "---|" * len(results)]  # fmt: skip
    for name in names:
        cells = []
        for figures in results.values():
            values = figures[name]
            spread = f"{min(values):.2f}{EN_DASH}{max(values):.2f}"
            cells.append(f"{statistics.median(values):.2f} ({spread})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog="python -m bench.indicator_cost", description=__doc__)
    cli.add_argument("--bars", type=count, default=20_000, help="timed bars (default 20000)")
    cli.add_argument("--repeats", type=count, default=5, help="(default 5)")
    cli.add_argument("--output", type=Path, default=RESULTS_DIR)
    args = cli.parse_args(argv)
    started = datetime.now(UTC)
    machine = node_machine(load_average())
    results = {engine: measure(engine, args.bars, args.repeats) for engine in ENGINES}
    over = [n for n, v in results["py"].items() if statistics.median(v) > TARGET_US]
    data: dict[str, Any] = {
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine,
        "settings": {"bars": args.bars, "repeats": args.repeats},
        "us_per_bar": results,
        "pyodide_target_us": TARGET_US,
        "pyodide_over_target": over,
    }
    args.output.mkdir(parents=True, exist_ok=True)
    path = args.output / f"indicators-{started.strftime(STAMP_FORMAT)}.json"
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    verdict = "all within" if not over else f"{', '.join(over)} over"
    sys.stdout.write(table(results))
    sys.stdout.write(f"\nPyodide: {verdict} the {TARGET_US:g} µs target.\nWrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
