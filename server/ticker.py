"""The one task that keeps batching's time: it calls `tick(now)` at each deadline batching
returns, and sleeps until then (or for good, while nothing is batched) unless woken early by a
control that may have brought a deadline forward."""

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Protocol


class Clocked(Protocol):
    def tick(self, now: float) -> float | None: ...


class Ticker:
    def __init__(self, core: Clocked, clock: Callable[[], float] = time.monotonic) -> None:
        self.core = core
        self.clock = clock
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Tick now: a new group or auto subscriber has a deadline the sleep does not know."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            due = self.core.tick(self.clock())
            self._wake.clear()
            delay = None if due is None else max(0.0, due - self.clock())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()
