"""The issue's targets, as data: each names a value in a result and the bound it must meet.

Rows are flagged, never failed: the benchmark reports; tests don't time anything.
"""

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

MAX_GAPS = 0
MAX_WIRE_P95_MS = 50.0  # below it, no backlog is building up
MAX_LATENCY_P95_MS = 16.7  # one frame at 60 Hz
MIN_FPS_MEAN = 58.0
MAX_COLD_START_MS = 3000.0
MAX_WARM_START_MS = 2000.0


@dataclass(frozen=True)
class Target:
    key: str  # short column name
    label: str  # what the bound is, for the legend
    path: tuple[str, ...]  # where the value sits in a result
    holds: Callable[[float, float], bool]  # holds(value, limit)
    limit: float

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


RUN_TARGETS = (
    Target("gaps", f"gaps = {MAX_GAPS}", ("metrics", "gaps"), operator.le, MAX_GAPS),
    Target(
        "wire",
        f"wire p95 < {MAX_WIRE_P95_MS:g} ms",
        ("metrics", "wire_ms", "p95"),
        operator.lt,
        MAX_WIRE_P95_MS,
    ),
    Target(
        "latency",
        f"latency p95 ≤ {MAX_LATENCY_P95_MS:g} ms",
        ("metrics", "latency_ms", "p95"),
        operator.le,
        MAX_LATENCY_P95_MS,
    ),
    Target(
        "fps",
        f"FPS mean ≥ {MIN_FPS_MEAN:g}",
        ("metrics", "fps", "mean"),
        operator.ge,
        MIN_FPS_MEAN,
    ),
)

STARTUP_TARGETS = (
    Target(
        "cold", f"cold ≤ {MAX_COLD_START_MS:g} ms", ("cold_ms",), operator.le, MAX_COLD_START_MS
    ),
    Target(
        "warm", f"warm ≤ {MAX_WARM_START_MS:g} ms", ("warm_ms",), operator.le, MAX_WARM_START_MS
    ),
)


def check(targets: tuple[Target, ...], result: Mapping[str, Any]) -> dict[str, bool]:
    return {target.key: target.met(result) for target in targets}
