"""The `system` stream: the server process's own cpu and memory, measured, not invented."""

import time

import psutil

from client.protocol import SYSTEM, Message

BYTES_PER_MB = 1024 * 1024


class SystemSampler:
    def __init__(self) -> None:
        self._process = psutil.Process()
        self._process.cpu_percent(interval=None)  # the first reading only starts the interval
        self._last_count = 0
        self._last_time = time.monotonic()

    def sample(self, published: int, ts: int) -> Message:
        """Measure now; `published` is the hub's running count of published messages."""
        now = time.monotonic()
        # Messages of the last second: all of them when less than a second has passed (the
        # first sample, at start-up), a per-second average after a late wake-up.
        rate = (published - self._last_count) / max(now - self._last_time, 1.0)
        self._last_count, self._last_time = published, now
        return {
            "type": SYSTEM,
            "cpu_pct": round(self._process.cpu_percent(interval=None), 1),
            "mem_mb": self._process.memory_info().rss // BYTES_PER_MB,
            "msg_rate": round(rate),
            "ts": ts,
        }
