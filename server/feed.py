"""The market's clock: ticks the simulator on a drift-free schedule and publishes what it says.

Deadlines are absolute (start + k * period), so a late wake-up shortens the next wait instead
of shifting every later tick. A period change takes effect at once and is announced to every
client as a `config` message. Where the messages go is the broker's business (`publish`).
"""

import asyncio
import time
from collections.abc import Awaitable, Callable

from client.protocol import MAX_FREQUENCY_MS, MIN_FREQUENCY_MS, Message, config
from server.simulator import Market
from server.system import SystemSampler

MS = 1000.0
SYSTEM_PERIOD_S = 1.0
MAX_CATCH_UP_TICKS = 5  # past this many missed ticks, skip ahead rather than burst

Publish = Callable[[list[Message]], Awaitable[None]]


def now_us() -> int:
    return time.time_ns() // 1000


def checked_frequency(frequency_ms: int) -> int:
    if not MIN_FREQUENCY_MS <= frequency_ms <= MAX_FREQUENCY_MS:
        raise ValueError(
            f"frequency_ms must be from {MIN_FREQUENCY_MS} to {MAX_FREQUENCY_MS}, "
            f"got {frequency_ms}"
        )
    return frequency_ms


class Feed:
    def __init__(
        self,
        market: Market,
        publish: Publish,
        frequency_ms: int,
        published: Callable[[], int],
        market_id: str,
    ) -> None:
        self.market = market
        self.market_id = market_id
        self.publish = publish
        self.frequency_ms = checked_frequency(frequency_ms)
        self.published = published  # messages delivered so far: the system stream's msg_rate
        self.ticks = 0
        self.skipped_ticks = 0
        self._changed = asyncio.Event()

    def config(self) -> Message:
        return config(self.frequency_ms, self.market.symbols, self.market_id)

    async def set_frequency(self, frequency_ms: int) -> None:
        """Change the one shared period and tell every client."""
        self.frequency_ms = checked_frequency(frequency_ms)
        self._changed.set()
        await self.publish([self.config()])

    async def tick(self) -> None:
        await self.publish(self.market.step(now_us()))
        self.ticks += 1

    async def prime(self, sampler: SystemSampler) -> None:
        """One tick and one system sample at once: the first page is already complete."""
        await self.tick()
        await self.sample_system(sampler)

    async def run(self, sampler: SystemSampler) -> None:
        """Keep both clocks until cancelled."""
        await asyncio.gather(self.run_market(), self.run_system(sampler))

    async def run_market(self) -> None:
        deadline = time.monotonic()
        while True:
            period = self.frequency_ms / MS
            delay = deadline - time.monotonic()
            if delay > 0:
                if await self._period_changed_within(delay):
                    deadline = min(deadline, time.monotonic() + self.frequency_ms / MS)
                continue
            await self.tick()
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

    async def sample_system(self, sampler: SystemSampler) -> None:
        await self.publish([sampler.sample(self.published(), now_us())])

    async def run_system(self, sampler: SystemSampler) -> None:
        deadline = time.monotonic()
        while True:
            deadline += SYSTEM_PERIOD_S
            await asyncio.sleep(max(0.0, deadline - time.monotonic()))
            await self.sample_system(sampler)
