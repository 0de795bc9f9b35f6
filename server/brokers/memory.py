"""memory://: one process, one market, published straight into the hub."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from client.protocol import Message
from server.brokers import Broker, Role, new_market_id
from server.feed import Feed
from server.hub import Hub
from server.settings import Settings
from server.sources import Source
from server.system import SystemSampler


class MemoryBroker(Broker):
    def __init__(self, settings: Settings, hub: Hub, source: Source) -> None:
        super().__init__(settings, hub, source)
        self.role = Role.LEADER
        self.takeovers = 1
        self.feed = Feed(source, self._publish, lambda: hub.published, new_market_id())
        hub.recorder.record(self.feed.config())

    async def _publish(self, messages: list[Message]) -> None:
        for message in messages:
            self.hub.publish(message)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        sampler = SystemSampler()
        await self.feed.prime(sampler)
        task = asyncio.create_task(self.feed.run(sampler), name="market")
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def set_frequency(self, frequency_ms: int) -> None:
        await self.feed.set_frequency(frequency_ms)
