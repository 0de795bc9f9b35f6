"""Start-up as a picture: where a start goes, from navigation to live, by the page's own marks
(docs/startup.md): Pyodide from its snapshot, Pyodide booted, and the JS engine, cold and warm.

`python -m bench.startup_plot RUN.json --output docs/images/startup.png` draws a saved run's
start-up: each bar is the run (of the repetitions) whose time is the median of its row.
"""

import argparse
import json
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

PHASES = (("cold", "cold, fresh profile"), ("warm", "reload"), ("new_tab", "new tab"))
# Segments between marks, in order; a bar uses those its page has. Colours from the
# Okabe-Ito palette (distinguishable with colour-blindness), on white.
SEGMENTS = (
    ("restored", "page, PyScript, Pyodide up", "#56B4E9"),
    ("client-imported", "PyScript's start, client imported", "#E69F00"),
    ("hydrated", "page hydrated", "#009E73"),
    ("live", "connected, first data: live", "#CC79A7"),
)
UNMARKED = ("navigation to live (the JS engine has no marks)", "#999999")
BOOTED = ("page, PyScript, Pyodide booted, client imported", "#D55E00")  # no `restored` mark
DRAWN = ("py", "js")  # the main-thread engines the picture compares (a worker's marks are its own)
WIDTH_IN = 11.0
ROW_IN = 0.42
MARGINS_IN = 2.2
LEGEND_SHARE = 0.1  # of the figure's height, under the axes


def median_run(row: Mapping[str, Any], phase: str) -> Mapping[str, Any] | None:
    """The run whose `phase` time is its row's median (the lower middle of an even count)."""
    runs = [run[phase] for run in row.get("runs") or [] if run.get(phase, {}).get("ready_ms")]
    if not runs:
        return None
    middle = statistics.median_low([run["ready_ms"] for run in runs])
    return next(run for run in runs if run["ready_ms"] == middle)


def segments(run: Mapping[str, Any]) -> list[tuple[float, float, str, str]]:
    """(start, width, label, colour) of each phase of one start-up."""
    marks = dict(run.get("marks") or {})
    if not marks:
        return [(0.0, float(run["ready_ms"]), *UNMARKED)]
    marks["live"] = run["ready_ms"]
    drawn = []
    start = 0.0
    for name, label, colour in SEGMENTS:
        end = marks.get(name)
        if end is None:
            continue
        if name == "client-imported" and "restored" not in marks:
            label, colour = BOOTED  # noqa: PLW2901 - this bar's segment is another phase
        drawn.append((start, float(end) - start, label, colour))
        start = float(end)
    return drawn


def draw(data: Mapping[str, Any], output: Path) -> None:
    rows = [row for row in data.get("startup") or [] if row.get("runs") and row["engine"] in DRAWN]
    bars = [
        (f"{row.get('label') or row['engine']}, {name}", run)
        for phase, name in PHASES
        for row in rows
        if (run := median_run(row, phase)) is not None
    ]
    figure = Figure(figsize=(WIDTH_IN, MARGINS_IN + ROW_IN * len(bars)))
    axes = figure.subplots()
    shown: dict[str, str] = {}
    for index, (_, run) in enumerate(bars):
        for start, width, label, colour in segments(run):
            axes.barh(index, width, left=start, color=colour, height=0.7)
            shown.setdefault(label, colour)
        axes.text(run["ready_ms"] + 15, index, f"{run['ready_ms']:.0f} ms", va="center")
    axes.set_yticks(range(len(bars)), [label for label, _ in bars])
    axes.invert_yaxis()
    axes.set_xlabel("ms from navigation (the page's own marks)")
    axes.set_title("Start-up, navigation to live: the median run of each row", loc="left")
    handles = [axes.bar(0, 0, color=colour, label=label) for label, colour in shown.items()]
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout(rect=(0, LEGEND_SHARE, 1, 1))
    figure.legend(handles=handles, loc="lower center", ncols=3, frameon=False)
    figure.savefig(output, dpi=110)


def main(argv: Sequence[str] | None = None) -> None:
    cli = argparse.ArgumentParser(prog="python -m bench.startup_plot", description=__doc__)
    cli.add_argument("run", type=Path, help="a run's JSON, as `make bench` wrote it")
    cli.add_argument("--output", type=Path, required=True, help="the picture (.png or .svg)")
    args = cli.parse_args(argv)
    draw(json.loads(args.run.read_text(encoding="utf-8")), args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
