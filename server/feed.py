"""The market's two clocks: the source's stream (its own pace, or the simulator's period) and
the system sample once a second. Where the messages go is the broker's business (`publish`).

A period change is announced to every client as a `config` message; sources that keep their own
pace (an exchange, a recording) refuse it with FixedPaceError.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from client.protocol import MAX_FREQUENCY_MS, MIN_FREQUENCY_MS, Message, config
from server.sources import Source, now_us
from server.system import SystemSampler

SYSTEM_PERIOD_S = 1.0

Publish = Callable[[list[Message]], Awaitable[None]]
log = logging.getLogger("tickscope.feed")


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
        source: Source,
        publish: Publish,
        published: Callable[[], int],
        market_id: str,
    ) -> None:
        self.source = source
        self.market_id = market_id
        self.publish = publish
        self.published = published  # messages delivered so far: the system stream's msg_rate

    def config(self) -> Message:
        return config(self.source.frequency_ms, self.source.symbols, self.market_id)

    async def set_frequency(self, frequency_ms: int) -> None:
        """Change the one shared period and tell every client."""
        self.source.set_frequency(checked_frequency(frequency_ms))
        await self.publish([self.config()])

    async def prime(self, sampler: SystemSampler) -> None:
        """A system sample at once, and the source's first tick where it can make one on
        demand (the simulator): the first page is already complete."""
        first = self.source.prime()
        if first:
            await self.publish(first)
        await self.sample_system(sampler)

    async def run(self, sampler: SystemSampler) -> None:
        """Keep both clocks until cancelled. A source that ends (a recording played once)
        leaves the system clock running."""
        system = asyncio.create_task(self.run_system(sampler), name="system")
        try:
            await self.source.run(self.publish)
            log.info("%s has nothing more to send", self.source.describe())
            await system
        finally:
            system.cancel()
            await asyncio.gather(system, return_exceptions=True)

    async def sample_system(self, sampler: SystemSampler) -> None:
        await self.publish([sampler.sample(self.published(), now_us())])

    async def run_system(self, sampler: SystemSampler) -> None:
        deadline = time.monotonic()
        while True:
            deadline += SYSTEM_PERIOD_S
            await asyncio.sleep(max(0.0, deadline - time.monotonic()))
            await self.sample_system(sampler)
