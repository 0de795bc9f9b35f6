"""The issues' targets, as data: each names a value in a result and the bound it must meet.

Issue 4 set the per-run targets and start-up bounds; issue 5 defines a sustainable load and
the bounds on the Python engine's cost relative to the JS engine's. Rows are flagged, never
failed: the benchmark reports; tests don't time anything.
"""

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

TIMES = "\N{MULTIPLICATION SIGN}"
MAX_GAPS = 0
MAX_WIRE_P95_MS = 50.0  # below it, no backlog is building up
MAX_LATENCY_P95_MS = 16.7  # one frame at 60 Hz
MIN_FPS_MEAN = 58.0
MAX_COLD_START_MS = 3000.0
MAX_WARM_START_MS = 2000.0
MAX_MPY_COLD_START_MS = 800.0
MAX_MPY_WARM_START_MS = 300.0
# Issue 22: Pyodide from its start-up snapshot, warm both ways (reload and a new tab).
MAX_SNAPSHOT_COLD_START_MS = 2000.0
MAX_SNAPSHOT_WARM_START_MS = 800.0
MAX_WARM_START_VS_JS = 5.0
MAX_COMPARE_LIVE_MS = 3000.0  # /compare, Pyodide beside JS: both panes live
MAX_PANEL_MEAN_US = 200.0  # issue 17: the performance panel's own render cost per frame

# Issue 5: a load is sustainable with no gaps, latency p95 under a frame and FPS mean >= 55.
MAX_SUSTAINABLE_LATENCY_P95_MS = 16.7
MIN_SUSTAINABLE_FPS_MEAN = 55.0
DISPLAY_FPS = 60.0  # the display's refresh rate: the most a page can paint

# Issue 5: Python/JS ratios.
MAX_LATENCY_P95_RATIO = 1.1
MAX_HANDLER_P50_RATIO = 2.0
MAX_RENDER_P50_RATIO = 1.5
MIN_SUSTAINABLE_RATE_RATIO = 0.6
MIN_FPS_MEAN_RATIO = 0.9  # issue 21: with the chart on, FPS within 10 % of JS's


@dataclass(frozen=True)
class Target:
    key: str  # short column name
    label: str  # what the bound is, for the legend
    path: tuple[str, ...]  # where the value sits in a result
    holds: Callable[[float, float], bool]  # holds(value, limit)
    limit: float
    optional: bool = False  # judged only where the run reports the value

    def value(self, result: Mapping[str, Any]) -> float | None:
        node: Any = result
        for key in self.path:
            if not isinstance(node, Mapping) or node.get(key) is None:
                return None
            node = node[key]
        return float(node)

    def met(self, result: Mapping[str, Any]) -> bool:
        """A missing value (no samples, a failed run) does not meet the target."""
        value = self.value(result)
        return value is not None and self.holds(value, self.limit)


def fps_at_least(fps: float) -> Target:
    return Target("fps", f"FPS mean ≥ {fps:g}", ("metrics", "fps", "mean"), operator.ge, fps)


GAPS = Target("gaps", f"gaps = {MAX_GAPS}", ("metrics", "gaps"), operator.le, MAX_GAPS)
WIRE = Target(
    "wire",
    f"wire p95 < {MAX_WIRE_P95_MS:g} ms",
    ("metrics", "wire_ms", "p95"),
    operator.lt,
    MAX_WIRE_P95_MS,
)
LATENCY = Target(
    "latency",
    f"latency p95 ≤ {MAX_LATENCY_P95_MS:g} ms",
    ("metrics", "latency_ms", "p95"),
    operator.le,
    MAX_LATENCY_P95_MS,
)
# Engines report `panel_us` since issue 17; runs before it have none, so it is optional.
PANEL = Target(
    "panel",
    f"performance panel < {MAX_PANEL_MEAN_US:g} µs per frame (mean)",
    ("metrics", "panel_us", "mean"),
    operator.lt,
    MAX_PANEL_MEAN_US,
    optional=True,
)
RUN_TARGETS = (GAPS, WIRE, LATENCY, fps_at_least(MIN_FPS_MEAN), PANEL)


def startup_bounds(cold_ms: float, warm_ms: float) -> tuple[Target, ...]:
    """Warm both ways: the page reloaded, and a new tab."""
    return (
        Target("cold", f"cold ≤ {cold_ms:g} ms", ("cold_ms",), operator.le, cold_ms),
        Target("warm", f"warm ≤ {warm_ms:g} ms", ("warm_ms",), operator.le, warm_ms),
        Target("tab", f"new tab ≤ {warm_ms:g} ms", ("new_tab_ms",), operator.le, warm_ms),
    )


STARTUP_TARGETS = startup_bounds(MAX_COLD_START_MS, MAX_WARM_START_MS)
# Issue 9: MicroPython's interpreter is ~0.5 MB against Pyodide's ~10 MB.
MICROPYTHON_STARTUP_TARGETS = startup_bounds(MAX_MPY_COLD_START_MS, MAX_MPY_WARM_START_MS)
SNAPSHOT_STARTUP_TARGETS = startup_bounds(MAX_SNAPSHOT_COLD_START_MS, MAX_SNAPSHOT_WARM_START_MS)


def startup_targets(engine: str, snapshot: bool | None = None) -> tuple[Target, ...]:
    """`snapshot`: the page was offered Pyodide's start-up snapshot (None: not a Pyodide one)."""
    if engine == "mpy":
        return MICROPYTHON_STARTUP_TARGETS
    return SNAPSHOT_STARTUP_TARGETS if snapshot else STARTUP_TARGETS


COMPARE_TARGETS = (
    Target(
        "cold",
        f"both panes live ≤ {MAX_COMPARE_LIVE_MS:g} ms, cold",
        ("cold_ms",),
        operator.le,
        MAX_COMPARE_LIVE_MS,
    ),
    Target(
        "warm",
        f"both panes live ≤ {MAX_COMPARE_LIVE_MS:g} ms, reloaded",
        ("warm_ms",),
        operator.le,
        MAX_COMPARE_LIVE_MS,
    ),
)


SUSTAINABLE = (
    GAPS,
    Target(
        "latency",
        f"latency p95 < {MAX_SUSTAINABLE_LATENCY_P95_MS:g} ms",
        ("metrics", "latency_ms", "p95"),
        operator.lt,
        MAX_SUSTAINABLE_LATENCY_P95_MS,
    ),
    fps_at_least(MIN_SUSTAINABLE_FPS_MEAN),
)


@dataclass(frozen=True)
class Ratio:
    """A bound on the Python engine's value over the JS engine's."""

    key: str
    label: str  # what is compared, with its unit
    path: (
        tuple[str, ...] | None
    )  # where the value sits in a run; None: the highest sustainable rate
    holds: Callable[[float, float], bool]  # holds(ratio, limit)
    limit: float
    symbol: str  # the bound's comparison, for the legend

    @property
    def bound(self) -> str:
        return f"{self.symbol} {self.limit:g}{TIMES}"

    def met(self, ratio: float | None) -> bool | None:
        """None when there is no ratio to judge."""
        return None if ratio is None else self.holds(ratio, self.limit)


SUSTAINABLE_RATE = Ratio(
    "sustainable_rate",
    "highest sustainable rate, msgs/s",
    None,
    operator.ge,
    MIN_SUSTAINABLE_RATE_RATIO,
    "≥",
)
RATIOS_AT_LOAD = (
    Ratio(
        "latency_p95",
        "latency p95, ms",
        ("metrics", "latency_ms", "p95"),
        operator.le,
        MAX_LATENCY_P95_RATIO,
        "≤",
    ),
    Ratio(
        "handler_p50",
        "handler p50, µs",
        ("metrics", "handler_us", "p50"),
        operator.le,
        MAX_HANDLER_P50_RATIO,
        "≤",
    ),
    Ratio(
        "render_p50",
        "render p50, ms/frame",
        ("metrics", "render_ms", "p50"),
        operator.le,
        MAX_RENDER_P50_RATIO,
        "≤",
    ),
    Ratio(
        "fps_mean",
        "FPS mean",
        ("metrics", "fps", "mean"),
        operator.ge,
        MIN_FPS_MEAN_RATIO,
        "≥",
    ),
)
PYTHON, JS = "py", "js"  # the engines a ratio compares: PYTHON's value over JS's

# Loads the ratios are taken at: the measured load nearest the first, and the issue's
# reference load if one was measured within the tolerance.
NEAREST_LOAD = 1000
REFERENCE_LOAD = 1400
REFERENCE_TOLERANCE = 0.1  # relative


def check(targets: tuple[Target, ...], result: Mapping[str, Any]) -> dict[str, bool]:
    """Each target's verdict; an optional target the result has no value for is left out."""
    return {
        target.key: target.met(result)
        for target in targets
        if not (target.optional and target.value(result) is None)
    }
