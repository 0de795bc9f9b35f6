"""Measurement windows and the reference's statistics. Pure and portable.

Percentiles use the reference's index rule: sorted[int((n - 1) * q)], no interpolation.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

LATENCY_SAMPLES = 5000  # about 3.5 s of messages at 1400 msgs/s
FPS_SAMPLES = 60  # one per second: the last minute
MS_PER_S = 1000.0


def percentile(ordered: list[float], q: float) -> float:
    """The reference's rule on an already sorted, non-empty list."""
    return ordered[int((len(ordered) - 1) * q)]


def summarize(values: list[float]) -> dict[str, Any]:
    """mean, p50, p95, p99 and n of `values`; None for each when there are none."""
    return summarize_ordered(sorted(values))


def summarize_ordered(ordered: list[float]) -> dict[str, Any]:
    """`summarize` of values already sorted."""
    if not ordered:
        return {"mean": None, "p50": None, "p95": None, "p99": None, "n": 0}
    return {
        "mean": sum(ordered) / len(ordered),
        "p50": percentile(ordered, 0.50),
        "p95": percentile(ordered, 0.95),
        "p99": percentile(ordered, 0.99),
        "n": len(ordered),
    }


class Samples:
    """The last `capacity` values, in a ring: adding never allocates once full."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._values: list[float] = []
        self._next = 0
        self.total = 0  # values added since the last clear, kept ones or not

    def add(self, value: float) -> None:
        self.total += 1
        if len(self._values) < self.capacity:
            self._values.append(value)
        else:
            self._values[self._next] = value
            self._next = (self._next + 1) % self.capacity

    def extend(self, values: list[float]) -> None:
        """`add` each of `values`, in slices: a batch frame brings ~160 at once."""
        self.total += len(values)
        kept = self._values
        room = self.capacity - len(kept)
        if room > 0:
            kept.extend(values[:room])
            values = values[room:]
        while values:
            start = self._next
            chunk = values[: self.capacity - start]
            kept[start : start + len(chunk)] = chunk
            self._next = (start + len(chunk)) % self.capacity
            values = values[len(chunk) :]

    def values(self) -> list[float]:
        return self._values[self._next :] + self._values[: self._next]

    def newest(self, count: int) -> list[float]:
        """The last `count` values added (fewer if fewer are kept), oldest first."""
        kept = self._values
        count = min(count, len(kept))
        if count <= 0:
            return []
        start = self._next - count
        if start >= 0:
            return kept[start : self._next]
        return kept[start:] + kept[: self._next]

    def clear(self) -> None:
        self._values = []
        self._next = 0
        self.total = 0

    def __len__(self) -> int:
        return len(self._values)

    def summary(self) -> dict[str, Any]:
        return summarize(self._values)

    def ordered(self) -> list[float]:
        """The kept values, sorted."""
        return sorted(self._values)


class PerSecond:
    """Counts events and turns them into a per-second rate once a second has passed."""

    def __init__(self, now_ms: float) -> None:
        self.last: float | None = None
        self._count = 0
        self._since = now_ms

    def count(self, events: int = 1) -> None:
        self._count += events

    def tick(self, now_ms: float) -> bool:
        """Close the interval if a second has passed; True when `last` was just updated."""
        elapsed = now_ms - self._since
        if elapsed < MS_PER_S:
            return False
        self.last = self._count * MS_PER_S / elapsed
        self._count = 0
        self._since = now_ms
        return True

    def restart(self, now_ms: float) -> None:
        self.last = None
        self._count = 0
        self._since = now_ms


class FrameRate:
    """Frames per second from animation-frame timestamps, with a window of past seconds."""

    def __init__(self, now_ms: float) -> None:
        self._meter = PerSecond(now_ms)
        self.history = Samples(FPS_SAMPLES)

    def frame(self, now_ms: float) -> None:
        self._meter.count()
        if self._meter.tick(now_ms) and self._meter.last is not None:
            self.history.add(self._meter.last)

    def restart(self, now_ms: float) -> None:
        self._meter.restart(now_ms)
        self.history.clear()

    def summary(self) -> dict[str, Any]:
        values = self.history.values()
        if not values:
            return {"last": None, "mean": None, "min": None}
        return {"last": values[-1], "mean": sum(values) / len(values), "min": min(values)}
