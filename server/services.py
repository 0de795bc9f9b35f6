"""The running parts of one server process, built once and shared by every route."""

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from client.protocol import FREQUENCY_MS, config
from server.batching import Batching
from server.brokers import Broker, broker_for
from server.hub import Hub, Subscriber
from server.settings import Settings
from server.snapshot import Recorder
from server.ticker import Ticker


@dataclass
class Services:
    settings: Settings
    hub: Hub
    broker: Broker
    batching: Batching[Subscriber]
    ticker: Ticker
    control_errors: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def build(cls, settings: Settings) -> "Services":
        recorder = Recorder(config(settings.frequency_ms, list(settings.symbols)))
        batching: Batching[Subscriber] = Batching()
        hub = Hub(
            recorder,
            settings.queue_limit,
            settings.queue_bytes,
            settings.slow_grace_s,
            tap=batching,
        )
        return cls(settings, hub, broker_for(settings, hub), batching, Ticker(batching))

    @property
    def uptime(self) -> float:
        return time.monotonic() - self.started

    @property
    def frequency_ms(self) -> int:
        """The market's period, as the last `config` on the stream said."""
        frequency: int = self.hub.recorder.config[FREQUENCY_MS]
        return frequency

    @asynccontextmanager
    async def running(self) -> AsyncIterator["Services"]:
        """Run the broker (and the market, where this process leads) and batching's ticker
        while the context is open."""
        async with self.broker.running():
            ticker = asyncio.create_task(self.ticker.run())
            try:
                yield self
            finally:
                ticker.cancel()
                await asyncio.gather(ticker, return_exceptions=True)
