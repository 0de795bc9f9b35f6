"""The running parts of one server process, built once and shared by every route."""

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from client.protocol import FREQUENCY_MS, HISTORY_LIMIT, Message, config
from server.batching import Batching
from server.brokers import Broker, Role, broker_for
from server.history import History, Status, history_for
from server.hub import Hub, Subscriber
from server.recording import RecordingWriter
from server.settings import Settings
from server.snapshot import Recorder
from server.sources import Source, market_source
from server.sources.failover import Failover
from server.ticker import Ticker

log = logging.getLogger("tickscope.services")


@dataclass
class Services:
    settings: Settings
    hub: Hub
    broker: Broker
    batching: Batching[Subscriber]
    ticker: Ticker
    source: Source
    history: History | None
    control_errors: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def build(cls, settings: Settings, source: Source | None = None) -> "Services":
        source = source or market_source(settings)
        recorder = Recorder(config(source.frequency_ms, source.symbols))
        batching: Batching[Subscriber] = Batching()
        hub = Hub(
            recorder,
            settings.queue_limit,
            settings.queue_bytes,
            settings.slow_grace_s,
            tap=batching,
        )
        if isinstance(source, Failover):
            source.on_switch = lambda reason: hub.resync(hub.snapshot(), reason)
        return cls(
            settings,
            hub,
            broker_for(settings, hub, source),
            batching,
            Ticker(batching),
            source,
            history_for(settings.history, settings.retention_s),
        )

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
        """Run the broker (and the market, where this process leads), batching's ticker and
        the recording while the context is open."""
        async with self._history(), self._recording(), self.broker.running():
            ticker = asyncio.create_task(self.ticker.run())
            try:
                yield self
            finally:
                ticker.cancel()
                await asyncio.gather(ticker, return_exceptions=True)

    @asynccontextmanager
    async def _history(self) -> AsyncIterator[None]:
        history = self.history
        if history is None:
            yield
            return
        try:
            await asyncio.to_thread(history.start)
        except Exception as failed:  # a broken store costs the history, never the stream
            log.error("history store %s cannot open, live only: %s", history.url, failed)
            history.status, history.error = Status.DEGRADED, str(failed)
            yield
            return
        await self._load_history(history)

        def write(message: Message, frame: str) -> None:
            # In a cluster every process sees every message; the leader alone writes them.
            if self.broker.role == Role.LEADER:
                history.write(message, frame)

        self.hub.sinks.append(write)
        try:
            yield
        finally:
            self.hub.sinks.remove(write)
            await asyncio.to_thread(history.stop)

    async def _load_history(self, history: History) -> None:
        """The snapshot (and so the sparklines) opens with the stored prices, and the
        simulator continues from the last of them."""
        recent = await history.read(
            lambda: history.recent_prices(self.source.symbols, HISTORY_LIMIT)
        )
        self.hub.recorder.prefill(recent)
        self.source.resume({symbol: m[-1]["price"] for symbol, m in recent.items() if m})

    @asynccontextmanager
    async def _recording(self) -> AsyncIterator[None]:
        if self.settings.record is None:
            yield
            return
        writer = RecordingWriter(
            self.settings.record, self.settings.record_segment_bytes, self.hub.recorder.config
        )
        writer.start()
        self.hub.sinks.append(writer.write)
        try:
            yield
        finally:
            self.hub.sinks.remove(writer.write)
            await asyncio.to_thread(writer.stop)
