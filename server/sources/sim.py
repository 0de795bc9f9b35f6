"""sim://: the seeded simulator on a drift-free clock. The only source whose period is ours.

Deadlines are absolute (start + k * period), so a late wake-up shortens the next wait instead
of shifting every later tick. A period change takes effect at once.
"""

import asyncio
import time

from client.protocol import Message
from server.settings import Settings
from server.simulator import Market
from server.sources import SIM, Emit, Source, now_us, split_url

MS = 1000.0
MAX_CATCH_UP_TICKS = 5  # past this many missed ticks, skip ahead rather than burst


class SimSource(Source):
    scheme = SIM
    paced = True

    def __init__(self, url: str, settings: Settings) -> None:
        super().__init__(url, settings)
        _, target, fields = split_url(url)
        if target or fields:
            raise ValueError(f"sim:// takes no path or options (got {url!r}); see --symbols")
        self.market = Market(list(settings.symbols), settings.seed)
        self.frequency_ms = settings.frequency_ms
        self.skipped_ticks = 0
        self._changed = asyncio.Event()

    @property
    def symbols(self) -> list[str]:
        return self.market.symbols

    def set_frequency(self, frequency_ms: int) -> None:
        self.frequency_ms = frequency_ms
        self._changed.set()

    def resume(self, prices: dict[str, float]) -> None:
        self.market.resume(prices)

    def prime(self) -> list[Message]:
        return self.market.step(now_us())

    async def run(self, emit: Emit) -> None:
        deadline = time.monotonic()
        while True:
            period = self.frequency_ms / MS
            delay = deadline - time.monotonic()
            if delay > 0:
                if await self._period_changed_within(delay):
                    deadline = min(deadline, time.monotonic() + self.frequency_ms / MS)
                continue
            await emit(self.market.step(now_us()))
            deadline += period
            behind = time.monotonic() - deadline
            if behind > MAX_CATCH_UP_TICKS * period:
                skipped = int(behind / period)
                self.skipped_ticks += skipped
                deadline += skipped * period

    async def _period_changed_within(self, delay: float) -> bool:
        try:
            await asyncio.wait_for(self._changed.wait(), delay)
        except TimeoutError:
            return False
        self._changed.clear()
        return True
