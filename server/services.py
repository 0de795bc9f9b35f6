"""The running parts of one server process, built once and shared by every route."""

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from server.feed import Feed
from server.hub import Hub
from server.settings import Settings
from server.simulator import Market
from server.snapshot import Recorder
from server.system import SystemSampler


@dataclass
class Services:
    settings: Settings
    market: Market
    hub: Hub
    feed: Feed
    control_errors: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def build(cls, settings: Settings) -> "Services":
        symbols = list(settings.symbols)
        market = Market(symbols, settings.seed)
        hub = Hub(
            Recorder(symbols), settings.queue_limit, settings.queue_bytes, settings.slow_grace_s
        )
        feed = Feed(market, hub, settings.frequency_ms)
        return cls(settings, market, hub, feed)

    @property
    def uptime(self) -> float:
        return time.monotonic() - self.started

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator["Services"]:
        """Run the market and system streams for as long as the context is open."""
        # One tick and one system sample before serving: the first page is already complete.
        sampler = SystemSampler()
        self.feed.tick()
        self.feed.sample_system(sampler)
        tasks = [
            asyncio.create_task(self.feed.run_market(), name="market"),
            asyncio.create_task(self.feed.run_system(sampler), name="system"),
        ]
        try:
            yield self
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
