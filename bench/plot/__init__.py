"""The result as a picture: receipt-to-paint latency p95 and FPS mean against msgs/s, one line
per engine and batch mode, at each cell's median with its min-max as error bars.

`python -m bench.plot RUN.json --output PATH` draws any saved run again, including runs from
before `--repeat` (one repetition a cell: error bars of zero width). Drawn by matplotlib's Agg
renderer through `Figure` alone (never pyplot), so no display is needed; the format follows
PATH's suffix (.png, .svg).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from bench.modes import UNBATCHED, run_variant
from bench.repeats import SPREAD_NAME, cells_of, repetitions
from bench.summary import load_of, number_at
from bench.targets import DISPLAY_FPS, MAX_SUSTAINABLE_LATENCY_P95_MS, MIN_SUSTAINABLE_FPS_MEAN

FIGURE_WIDTH_IN = 12.0
TITLES_IN = 0.9  # heights: the titles, the panels, then a row per 3 legend entries
PANELS_IN = 4.6
LEGEND_ROW_IN = 0.27
LEGEND_PAD_IN = 0.2
TITLE_TOP_IN = 0.12
SUBTITLE_TOP_IN = 0.45
DPI = 150
TITLE = "Tickscope benchmark: latency and frame rate against load"
X_LABEL = "load, msgs/s (log scale)"
LINE_WIDTH = 2.0
MARKER_SIZE = 7
CAP_SIZE = 4
X_PAD_DECADES = 0.12  # beyond the extreme loads, in log10 units
SINGLE_LOAD_PAD_DECADES = 0.3
DODGE_DECADES = 0.008  # between variants' points at one load, so their error bars stay apart
UNKNOWN = "?"
FAILED_MARKER = "x"
FAILED_COLOUR = "#444444"
FAILED_LABEL = "did not complete (drawn at the axis)"
GUIDE_COLOUR = "#555555"
GUIDE_WIDTH = 1.4
HEADROOM = 1.1  # above the largest value or guide
LEGEND_COLUMNS = 3
LEGEND_HANDLE_LENGTH = 3.5  # font sizes: long enough to show a line's dashes

# Okabe-Ito colours (distinct under the common colour-vision deficiencies), and a marker per
# engine and a line style per batch mode, so no engine is told apart by colour alone.
ENGINE_STYLES = {  # label, colour, marker
    "py": ("Pyodide", "#0072B2", "o"),
    "js": ("JavaScript", "#D55E00", "s"),
    "mpy": ("MicroPython", "#009E73", "^"),
    "py-worker": ("Pyodide in a worker", "#CC79A7", "D"),
}
FALLBACK_STYLE = ("", "#000000", "v")
MODE_STYLES = {UNBATCHED: "-", "auto": "--"}
OTHER_MODE_STYLE = ":"


@dataclass(frozen=True)
class Guide:
    value: float
    label: str
    dashes: tuple[int, tuple[float, float]]  # matplotlib's (offset, (on, off)) line style


SUSTAINABLE_DASHES = (0, (6.0, 3.0))
DISPLAY_DASHES = (0, (1.5, 2.5))


@dataclass(frozen=True)
class Panel:
    title: str
    y_label: str
    path: tuple[str, ...]  # where the value sits in a cell
    guides: tuple[Guide, ...]


PANELS = (
    Panel(
        "Receipt-to-paint latency p95 (lower is better)",
        "latency p95, ms",
        ("metrics", "latency_ms", "p95"),
        (
            Guide(
                MAX_SUSTAINABLE_LATENCY_P95_MS,
                f"sustainable: latency p95 < {MAX_SUSTAINABLE_LATENCY_P95_MS:g} ms",
                SUSTAINABLE_DASHES,
            ),
        ),
    ),
    Panel(
        "Frame rate (higher is better)",
        "FPS mean",
        ("metrics", "fps", "mean"),
        (
            Guide(
                MIN_SUSTAINABLE_FPS_MEAN,
                f"sustainable: FPS mean ≥ {MIN_SUSTAINABLE_FPS_MEAN:g}",
                SUSTAINABLE_DASHES,
            ),
            Guide(DISPLAY_FPS, f"display refresh: {DISPLAY_FPS:g} FPS", DISPLAY_DASHES),
        ),
    ),
)

Cell = Mapping[str, Any]


def variant_label(variant: str) -> str:
    engine, _, mode = variant.partition("+")
    name = ENGINE_STYLES.get(engine, (engine, "", ""))[0] or engine
    return f"{name}, batch {mode}" if mode else f"{name}, unbatched"


def line_style(variant: str) -> dict[str, Any]:
    engine, _, mode = variant.partition("+")
    _, colour, marker = ENGINE_STYLES.get(engine, FALLBACK_STYLE)
    return {
        "color": colour,
        "marker": marker,
        "linestyle": MODE_STYLES.get(mode or UNBATCHED, OTHER_MODE_STYLE),
        "linewidth": LINE_WIDTH,
        "markersize": MARKER_SIZE,
        "label": variant_label(variant),
    }


def variants_of(data: Mapping[str, Any], cells: Sequence[Cell]) -> list[str]:
    """The run's variants in its settings' order; those of the cells for older files."""
    named = (data.get("settings") or {}).get("variants")
    found = list(dict.fromkeys(run_variant(cell) for cell in cells))
    return list(named) if named else found


def spread_at(cell: Cell, path: Sequence[str]) -> tuple[float, float] | None:
    node: Any = cell.get("spread")
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return (float(node[0]), float(node[1])) if isinstance(node, list) else None


@dataclass(frozen=True)
class Series:
    """One variant's completed cells in one panel, by load."""

    loads: list[int]
    medians: list[float]
    below: list[float]  # error bar lengths: median - min
    above: list[float]  # max - median
    failed: list[int]  # loads whose cell did not complete


def series(cells: Sequence[Cell], variant: str, path: Sequence[str]) -> Series:
    mine = sorted((cell for cell in cells if run_variant(cell) == variant), key=load_of)
    drawn = Series([], [], [], [], [])
    for cell in mine:
        value = None if cell.get("error") else number_at(cell, path)
        if value is None:
            drawn.failed.append(load_of(cell))
            continue
        low, high = spread_at(cell, path) or (value, value)
        drawn.loads.append(load_of(cell))
        drawn.medians.append(value)
        drawn.below.append(value - low)
        drawn.above.append(high - value)
    return drawn


def draw_series(axes: Axes, drawn: Series, variant: str, shift: float) -> None:
    """The variant's line, its points `shift` times their load to the side of the others'."""
    style = line_style(variant)
    axes.errorbar(
        [load * shift for load in drawn.loads],
        drawn.medians,
        yerr=[drawn.below, drawn.above],
        capsize=CAP_SIZE,
        **style,
    )
    if drawn.failed:
        axes.plot(
            drawn.failed,
            [0.0] * len(drawn.failed),
            linestyle="none",
            marker=FAILED_MARKER,
            color=FAILED_COLOUR,
            markersize=MARKER_SIZE + 2,
            clip_on=False,
            label=FAILED_LABEL,
        )


def load_label(value: float, _position: object) -> str:
    return f"{value:,.0f}"


def load_axis(axes: Axes, loads: Sequence[int]) -> None:
    """A tick at each measured load, and room on either side for the points' error bars."""
    if not loads:
        return
    pad = 10 ** (X_PAD_DECADES if len(loads) > 1 else SINGLE_LOAD_PAD_DECADES)
    axes.set_xlim(loads[0] / pad, loads[-1] * pad)
    axes.xaxis.set_major_locator(FixedLocator(loads))
    axes.xaxis.set_major_formatter(FuncFormatter(load_label))
    axes.xaxis.set_minor_locator(NullLocator())


def draw_panel(axes: Axes, panel: Panel, cells: Sequence[Cell], variants: Sequence[str]) -> None:
    highest = max((guide.value for guide in panel.guides), default=0.0)
    middle = (len(variants) - 1) / 2
    for index, variant in enumerate(variants):
        drawn = series(cells, variant, panel.path)
        highest = max([highest, *(m + a for m, a in zip(drawn.medians, drawn.above, strict=True))])
        draw_series(axes, drawn, variant, 10 ** ((index - middle) * DODGE_DECADES))
    for guide in panel.guides:
        axes.axhline(
            guide.value,
            color=GUIDE_COLOUR,
            linestyle=guide.dashes,
            linewidth=GUIDE_WIDTH,
            label=guide.label,
        )
    axes.set_xscale("log")
    load_axis(axes, sorted({load_of(cell) for cell in cells}))
    axes.set_ylim(0.0, highest * HEADROOM)
    axes.set_title(panel.title, fontsize=12)
    axes.set_xlabel(X_LABEL)
    axes.set_ylabel(panel.y_label)
    axes.grid(True, color="#e3e3e3", linewidth=0.8)
    axes.set_axisbelow(True)


def seconds(value: object) -> str:
    return f"{value:g} s" if isinstance(value, int | float) else "? s"


def subtitle(data: Mapping[str, Any], cells: Sequence[Cell]) -> str:
    """Where and when (machine, date, load average), then how (durations, repetitions)."""
    machine = data.get("machine") or {}
    settings = data.get("settings") or {}
    date = str(machine.get("date") or data.get("started_at") or "date unknown")
    load_average = (machine.get("load_average_at_start") or [UNKNOWN])[0]
    most = max((repetitions(cell) for cell in cells), default=1)
    per_point = (
        f"median of {most} repetitions per point, error bars {SPREAD_NAME}"
        if most > 1
        else "one run per point"
    )
    return (
        f"{date.replace('T', ' ').replace('+00:00', ' UTC')}: "
        f"{machine.get('cpu', UNKNOWN)} ({machine.get('cores', UNKNOWN)} cores), "
        f"Chromium {machine.get('chromium', UNKNOWN)}, load average {load_average} at the start\n"
        f"{seconds(settings.get('duration_s'))} measured per run after "
        f"{seconds(settings.get('warmup_s'))} warm-up; {per_point}"
    )


def legend_entries(figure: Figure, variants: Sequence[str]) -> tuple[list[Any], list[str]]:
    """Each variant as a plain line (an error bar's cap would hide its dashes), then each
    other label once (guides, failed runs)."""
    entries: dict[str, Any] = {
        variant_label(variant): Line2D([], [], **line_style(variant)) for variant in variants
    }
    for axes in figure.axes:
        handles, labels = axes.get_legend_handles_labels()
        for handle, label in zip(handles, labels, strict=True):
            entries.setdefault(label, handle)
    return list(entries.values()), list(entries)


def figure_of(data: Mapping[str, Any]) -> Figure:
    cells = cells_of(data)
    variants = variants_of(data, cells)
    figure = Figure(dpi=DPI)
    for axes, panel in zip(figure.subplots(1, len(PANELS)), PANELS, strict=True):
        draw_panel(axes, panel, cells, variants)
    handles, labels = legend_entries(figure, variants)
    legend_in = -(-len(labels) // LEGEND_COLUMNS) * LEGEND_ROW_IN + LEGEND_PAD_IN
    height = TITLES_IN + PANELS_IN + legend_in
    figure.set_size_inches(FIGURE_WIDTH_IN, height)
    figure.text(
        0.5, 1 - TITLE_TOP_IN / height, TITLE, ha="center", va="top", fontsize=14, fontweight="bold"
    )
    figure.text(
        0.5, 1 - SUBTITLE_TOP_IN / height, subtitle(data, cells), ha="center", va="top", fontsize=10
    )
    figure.legend(
        handles,
        labels,
        loc="lower center",
        ncols=LEGEND_COLUMNS,
        frameon=False,
        handlelength=LEGEND_HANDLE_LENGTH,
    )
    figure.tight_layout(rect=(0.0, legend_in / height, 1.0, 1 - TITLES_IN / height))
    return figure


def draw(data: Mapping[str, Any], path: Path) -> None:
    """The plot of `data` (a result as written to JSON) at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    figure_of(data).savefig(path, facecolor="white")
