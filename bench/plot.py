"""The result as a self-contained SVG: latency p95 and FPS mean against msgs/s, one line per
engine, two panels side by side. Written by hand: no plotting library, no external fonts.

Every panel is a `<g data-panel=...>` holding one `<polyline data-engine=...>` per engine
(empty when the engine has no completed run), so the drawing can be checked as XML.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from bench.modes import run_variant
from bench.summary import load_of, number_at
from bench.targets import DISPLAY_FPS, MAX_SUSTAINABLE_LATENCY_P95_MS, MIN_SUSTAINABLE_FPS_MEAN

WIDTH = 1000
HEIGHT = 450
PANEL_GAP = 70
MARGIN_LEFT = 70
MARGIN_RIGHT = 30
MARGIN_TOP = 115
MARGIN_BOTTOM = 55
Y_TICKS = 5  # about this many
NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)
HEADROOM = 1.08  # above the largest value or guide
X_PAD_DECADES = 0.12  # left and right of the extreme loads, in log10 units
SINGLE_LOAD_PAD_DECADES = 0.5
MARKER_RADIUS = 4
LINE_WIDTH = 2.5
FONT = "font-family='DejaVu Sans, Arial, Helvetica, sans-serif'"
INK = "#1a1a1a"
MUTED = "#555555"
GRID = "#e3e3e3"
GUIDE = "#777777"
BACKGROUND = "#ffffff"
ENGINE_STYLES = {  # label, colour
    "py": ("Python (Pyodide)", "#1f5fa8"),
    "js": ("JavaScript", "#c44e00"),
    "mpy": ("MicroPython", "#2e7d32"),
    "py-worker": ("Pyodide in a worker", "#6a3d9a"),
}
FALLBACK_COLOURS = ("#b15928", "#333333", "#8c564b")
GUIDE_STYLE = "stroke-width='1.5' stroke-dasharray='6 4'"
LEGEND_LINE = 28
LEGEND_GAP = 32
LEGEND_CHAR_WIDTH = 7.5  # about, at 13 px
Y_LABEL_OFFSET = 48
PANEL_TITLE_GAP = 14
LABEL_PAD = 8  # between a mark and its label
BASELINE_NUDGE = 4  # puts 12-13 px text's middle, not its baseline, on a line
TICK_LENGTH = 5
X_TICK_LABEL_GAP = 19
X_LABEL_GAP = 40
FAILED_MARK_LIFT = 8  # a failed run's cross sits this far above the x axis
TITLE = "Tickscope: latency and frame rate against load"
DESCRIPTION = "Tickscope benchmark: latency p95 and FPS mean against msgs/s, per engine"
TITLE_Y, SUBTITLE_Y, LEGEND_Y = 26, 46, 72
X_LABEL = "msgs/s (log scale)"
FAILED_LEGEND = "did not complete"
GUIDE_LEGEND = (
    f"sustainable: < {MAX_SUSTAINABLE_LATENCY_P95_MS:g} ms, ≥ {MIN_SUSTAINABLE_FPS_MEAN:g} FPS;"
    f" display {DISPLAY_FPS:g} FPS"
)


@dataclass(frozen=True)
class Guide:
    value: float
    label: str


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    y_label: str
    path: tuple[str, ...]  # where the value sits in a run
    guides: tuple[Guide, ...]
    digits: int


PANELS = (
    Panel(
        "latency",
        "Receipt-to-paint latency p95",
        "latency p95 (ms)",
        ("metrics", "latency_ms", "p95"),
        (Guide(MAX_SUSTAINABLE_LATENCY_P95_MS, f"{MAX_SUSTAINABLE_LATENCY_P95_MS:g} ms"),),
        1,
    ),
    Panel(
        "fps",
        "Frame rate",
        "FPS mean",
        ("metrics", "fps", "mean"),
        (
            Guide(MIN_SUSTAINABLE_FPS_MEAN, f"{MIN_SUSTAINABLE_FPS_MEAN:g} FPS"),
            Guide(DISPLAY_FPS, f"{DISPLAY_FPS:g} FPS"),
        ),
        1,
    ),
)


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height


@dataclass(frozen=True)
class Scale:
    low: float
    high: float
    start: float  # pixel at `low`
    end: float  # pixel at `high`
    log: bool = False

    def __call__(self, value: float) -> float:
        transform = math.log10 if self.log else float
        low, high = transform(self.low), transform(self.high)
        share = (transform(value) - low) / (high - low)
        return self.start + share * (self.end - self.start)


def nice_step(span: float) -> float:
    raw = span / Y_TICKS
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(step * magnitude for step in NICE_STEPS if step * magnitude >= raw)


def y_ticks(largest: float) -> list[float]:
    """0 up to a round number above `largest`, in round steps."""
    step = nice_step(max(largest, 1.0) * HEADROOM)
    count = math.ceil(largest * HEADROOM / step)
    return [index * step for index in range(count + 1)]


def x_scale(loads: Sequence[int], box: Box) -> Scale:
    low, high = math.log10(min(loads)), math.log10(max(loads))
    pad = X_PAD_DECADES * (high - low) if high > low else SINGLE_LOAD_PAD_DECADES
    return Scale(10 ** (low - pad), 10 ** (high + pad), box.left, box.right, log=True)


def load_label(load: int) -> str:
    return f"{load:,}"


def engine_style(engine: str, index: int) -> tuple[str, str]:
    return ENGINE_STYLES.get(engine, (engine, FALLBACK_COLOURS[index % len(FALLBACK_COLOURS)]))


def series(runs: Sequence[Mapping[str, Any]], engine: str, panel: Panel) -> list[tuple[int, float]]:
    """(load, value) for the engine's completed runs, by load."""
    points = []
    for run in runs:
        if run_variant(run) != engine or run.get("error"):
            continue
        value = number_at(run, panel.path)
        if value is not None:
            points.append((load_of(run), value))
    return sorted(points)


def text(
    x: float,
    y: float,
    content: str,
    *,
    size: int = 12,
    anchor: str = "start",
    fill: str = INK,
    extra: str = "",
) -> str:
    return (
        f"<text x='{x:.1f}' y='{y:.1f}' {FONT} font-size='{size}' text-anchor='{anchor}' "
        f"fill='{fill}'{extra}>{escape(content)}</text>"
    )


def hline(box: Box, y: float, stroke: str, style: str) -> str:
    return (
        f"<line x1='{box.left:.1f}' y1='{y:.1f}' x2='{box.right:.1f}' y2='{y:.1f}' "
        f"stroke='{stroke}' {style}/>"
    )


def axes(
    panel: Panel, box: Box, xs: Scale, ys: Scale, *, ticks: Sequence[float], loads: Sequence[int]
) -> list[str]:
    bold = " font-weight='bold'"
    parts = [text(box.left, box.top - PANEL_TITLE_GAP, panel.title, size=15, extra=bold)]
    for tick in ticks:
        parts.append(hline(box, ys(tick), GRID, "stroke-width='1'"))
        parts.append(
            text(box.left - LABEL_PAD, ys(tick) + BASELINE_NUDGE, f"{tick:g}", anchor="end")
        )
    for load in loads:
        x = xs(load)
        parts.append(
            f"<line x1='{x:.1f}' y1='{box.bottom:.1f}' x2='{x:.1f}' "
            f"y2='{box.bottom + TICK_LENGTH:.1f}' stroke='{INK}' stroke-width='1'/>"
        )
        parts.append(text(x, box.bottom + X_TICK_LABEL_GAP, load_label(load), anchor="middle"))
    parts.append(
        f"<path fill='none' stroke='{INK}' stroke-width='1' "
        f"d='M{box.left:.1f},{box.top:.1f} V{box.bottom:.1f} H{box.right:.1f}'/>"
    )
    centre_x, centre_y = (box.left + box.right) / 2, (box.top + box.bottom) / 2
    label_x = box.left - Y_LABEL_OFFSET
    rotate = f" transform='rotate(-90 {label_x:.1f} {centre_y:.1f})'"
    parts.append(text(centre_x, box.bottom + X_LABEL_GAP, X_LABEL, size=13, anchor="middle"))
    parts.append(text(label_x, centre_y, panel.y_label, size=13, anchor="middle", extra=rotate))
    return parts


def guides(panel: Panel, box: Box, ys: Scale) -> list[str]:
    parts = []
    for guide in panel.guides:
        y = ys(guide.value)
        parts.append(hline(box, y, GUIDE, f"{GUIDE_STYLE} data-role='guide'"))
        parts.append(
            text(
                box.right - BASELINE_NUDGE,
                y - BASELINE_NUDGE,
                guide.label,
                size=11,
                anchor="end",
                fill=MUTED,
            )
        )
    return parts


def lines(
    panel: Panel, runs: Sequence[Mapping[str, Any]], engines: Sequence[str], xs: Scale, ys: Scale
) -> list[str]:
    parts = []
    for index, engine in enumerate(engines):
        label, colour = engine_style(engine, index)
        points = series(runs, engine, panel)
        coordinates = " ".join(f"{xs(load):.1f},{ys(value):.1f}" for load, value in points)
        parts.append(
            f"<polyline data-engine={quoteattr(engine)} fill='none' stroke='{colour}' "
            f"stroke-width='{LINE_WIDTH}' stroke-linejoin='round' points='{coordinates}'/>"
        )
        for load, value in points:
            tip = f"{label} at {load} msgs/s: {value:.{panel.digits}f}"
            parts.append(
                f"<circle cx='{xs(load):.1f}' cy='{ys(value):.1f}' r='{MARKER_RADIUS}' "
                f"fill='{colour}'><title>{escape(tip)}</title></circle>"
            )
        parts += [
            failure_mark(xs(load), ys(0.0) - FAILED_MARK_LIFT, colour, f"{label} at {load}: {why}")
            for load, why in failures(runs, engine)
        ]
    return parts


def failures(runs: Sequence[Mapping[str, Any]], engine: str) -> list[tuple[int, str]]:
    """(load, error) for the engine's runs that did not complete."""
    return sorted(
        (load_of(run), str(run["error"]))
        for run in runs
        if run_variant(run) == engine and run.get("error")
    )


def failure_mark(x: float, y: float, colour: str, tip: str) -> str:
    """A cross on the x axis where a run did not complete, so a missing point is not silent."""
    size = MARKER_RADIUS
    return (
        f"<path data-role='failed' stroke='{colour}' stroke-width='2' "
        f"d='M{x - size:.1f},{y - size:.1f} L{x + size:.1f},{y + size:.1f} "
        f"M{x - size:.1f},{y + size:.1f} L{x + size:.1f},{y - size:.1f}'>"
        f"<title>{escape(tip)}</title></path>"
    )


def panel_svg(
    panel: Panel,
    box: Box,
    runs: Sequence[Mapping[str, Any]],
    engines: Sequence[str],
    loads: Sequence[int],
) -> str:
    xs = x_scale(loads, box)
    values = [value for engine in engines for _, value in series(runs, engine, panel)]
    ticks = y_ticks(max([*values, *(guide.value for guide in panel.guides)]))
    ys = Scale(0.0, ticks[-1], box.bottom, box.top)
    body = [
        *axes(panel, box, xs, ys, ticks=ticks, loads=loads),
        *guides(panel, box, ys),
        *lines(panel, runs, engines, xs, ys),
    ]
    return f"<g data-panel={quoteattr(panel.key)}>\n" + "\n".join(body) + "\n</g>"


def legend(engines: Sequence[str], y: float, *, any_failed: bool) -> list[str]:
    parts = []
    x = float(MARGIN_LEFT)
    for index, engine in enumerate(engines):
        label, colour = engine_style(engine, index)
        parts.append(
            f"<line x1='{x:.1f}' y1='{y:.1f}' x2='{x + LEGEND_LINE:.1f}' y2='{y:.1f}' "
            f"stroke='{colour}' stroke-width='{LINE_WIDTH}'/>"
        )
        parts.append(
            f"<circle cx='{x + LEGEND_LINE / 2:.1f}' cy='{y:.1f}' r='{MARKER_RADIUS}' "
            f"fill='{colour}'/>"
        )
        parts.append(text(x + LEGEND_LINE + LABEL_PAD, y + BASELINE_NUDGE, label, size=13))
        x += LEGEND_LINE + LEGEND_GAP + LEGEND_CHAR_WIDTH * len(label)
    parts.append(
        f"<line x1='{x:.1f}' y1='{y:.1f}' x2='{x + LEGEND_LINE:.1f}' y2='{y:.1f}' "
        f"stroke='{GUIDE}' {GUIDE_STYLE}/>"
    )
    parts.append(text(x + LEGEND_LINE + LABEL_PAD, y + BASELINE_NUDGE, GUIDE_LEGEND, size=13))
    if any_failed:
        x += LEGEND_LINE + LEGEND_GAP + LEGEND_CHAR_WIDTH * len(GUIDE_LEGEND)
        parts.append(failure_mark(x + LEGEND_LINE / 2, y, MUTED, FAILED_LEGEND))
        parts.append(text(x + LEGEND_LINE, y + BASELINE_NUDGE, FAILED_LEGEND, size=13))
    return parts


def subtitle(data: Mapping[str, Any]) -> str:
    machine = data.get("machine") or {}
    settings = data.get("settings") or {}
    date = str(machine.get("date") or "")[:10]
    return (
        f"{date}, {machine.get('cpu')} ({machine.get('cores')} cores), headless Chromium "
        f"{machine.get('chromium')}; {settings.get('duration_s')} s per load after "
        f"{settings.get('warmup_s')} s warm-up"
    )


def svg(data: Mapping[str, Any]) -> str:
    runs: Sequence[Mapping[str, Any]] = data.get("runs") or []
    settings = data.get("settings") or {}
    engines = list(
        settings.get("variants")
        or settings.get("engines")
        or dict.fromkeys(run_variant(run) for run in runs)
    )
    loads = sorted(set(settings.get("loads") or [load_of(run) for run in runs]))
    panel_width = (WIDTH - MARGIN_LEFT - MARGIN_RIGHT - PANEL_GAP * (len(PANELS) - 1)) / len(PANELS)
    height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    boxes = [
        Box(MARGIN_LEFT + index * (panel_width + PANEL_GAP), MARGIN_TOP, panel_width, height)
        for index in range(len(PANELS))
    ]
    body = [
        f"<rect width='{WIDTH}' height='{HEIGHT}' fill='{BACKGROUND}'/>",
        text(MARGIN_LEFT, TITLE_Y, TITLE, size=17, extra=" font-weight='bold'"),
        text(MARGIN_LEFT, SUBTITLE_Y, subtitle(data), fill=MUTED),
        *legend(engines, LEGEND_Y, any_failed=any(run.get("error") for run in runs)),
        *(
            panel_svg(panel, box, runs, engines, loads)
            for panel, box in zip(PANELS, boxes, strict=True)
        ),
    ]
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{HEIGHT}' "
        f"viewBox='0 0 {WIDTH} {HEIGHT}' role='img'>\n"
        f"<title>{escape(DESCRIPTION)}</title>\n" + "\n".join(body) + "\n</svg>\n"
    )
