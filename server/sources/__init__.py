"""Where the market's messages come from, picked by URL scheme like the brokers (uvicorn's one
name→implementation table per pluggable axis; each module imported only when asked for):

    sim://                             the seeded simulator (the default; needs nothing)
    (more than one)                    the first, and the others as standbys (failover.py)
    replay://PATH?speed=1|10|max&loop=1
                                       a recording made with --record, played back
    coinbase://BTC-USD,ETH-USD         Coinbase's public market-data WebSocket feed
    binance://btcusdt,ethusdt          Binance's public spot streams

Every source speaks our wire protocol unchanged (`price`, `trade`, `book`; seq and ts are the
hub's and the feed's), so everything downstream of the feed works the same on any of them.
"""

import importlib
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import ClassVar
from urllib.parse import parse_qs

from client.protocol import DEFAULT_FREQUENCY_MS, Message
from server.settings import Settings

Emit = Callable[[list[Message]], Awaitable[None]]

SIM = "sim"
REPLAY = "replay"
COINBASE = "coinbase"
BINANCE = "binance"
DEFAULT_SOURCE = f"{SIM}://"
# scheme -> "module:class", imported on first use
SOURCES: dict[str, str] = {
    SIM: "server.sources.sim:SimSource",
    REPLAY: "server.sources.replay:ReplaySource",
    COINBASE: "server.sources.coinbase:CoinbaseSource",
    BINANCE: "server.sources.binance:BinanceSource",
}
SCHEME_SEPARATOR = "://"


def now_us() -> int:
    """The wire's `ts` clock: wall-clock microseconds."""
    return time.time_ns() // 1000


class SourceError(Exception):
    """A source that cannot start or go on: the message says what to change."""


class FixedPaceError(SourceError):
    """The period of a source that keeps its own pace (an exchange, a recording) was asked for."""


class Source(ABC):
    """One market-data source. `run` emits lists of stream messages until it is cancelled; it
    returns when the source has nothing more to say and raises SourceError when it fails."""

    scheme: ClassVar[str]
    paced = False  # True: the tick period is ours to set (the simulator)

    def __init__(self, url: str, settings: Settings) -> None:
        self.url = url
        self.settings = settings
        self.frequency_ms = DEFAULT_FREQUENCY_MS

    @property
    @abstractmethod
    def symbols(self) -> list[str]:
        """The symbols on our wire, in the order of the cards."""

    async def check(self) -> None:
        """Fail fast, before the server listens, on what would fail anyway (unknown symbols,
        an unreadable recording). The default has nothing to check."""
        return None

    def prime(self) -> list[Message]:
        """Messages to publish at once on start, if the source can make them on demand."""
        return []

    @abstractmethod
    async def run(self, emit: Emit) -> None:
        """Emit stream messages until cancelled, finished or failed."""

    def set_frequency(self, frequency_ms: int) -> None:
        raise FixedPaceError(f"{self.url} keeps its own pace; its tick period cannot be changed")

    def resume(self, prices: dict[str, float]) -> None:
        """Continue from the last published prices of another process's run (the simulator);
        a source of real data has nothing to continue."""
        return None

    def describe(self) -> str:
        return self.url

    def counts(self) -> dict[str, int]:
        """Faults of a source of outside data: messages rejected, reconnects, book resyncs,
        switches to a standby (what a source has none of, it leaves out)."""
        return {}


def split_url(url: str) -> tuple[str, str, dict[str, str]]:
    """scheme, the part before `?` (a path or a symbol list), and the last value of each query
    field."""
    scheme, separator, rest = url.partition(SCHEME_SEPARATOR)
    if not separator:
        raise ValueError(f"not a source URL: {url!r} (expected SCHEME://...)")
    target, _, query = rest.partition("?")
    fields = {name: values[-1] for name, values in parse_qs(query, keep_blank_values=True).items()}
    return scheme, target, fields


def check_url(url: str) -> str:
    """The URL, or ValueError naming the schemes there are."""
    scheme = split_url(url)[0]
    if scheme not in SOURCES:
        names = ", ".join(f"{name}://" for name in SOURCES)
        raise ValueError(f"unsupported source {url!r}: use {names}")
    return url


def source_class(url: str) -> type[Source]:
    module_name, _, class_name = SOURCES[split_url(check_url(url))[0]].partition(":")
    found: type[Source] = getattr(importlib.import_module(module_name), class_name)
    return found


def source_for(url: str, settings: Settings) -> Source:
    return source_class(url)(url, settings)


def market_source(settings: Settings) -> Source:
    """The market's source: the first --source, with any later ones as its standbys."""
    sources = [source_for(url, settings) for url in settings.sources]
    if len(sources) == 1:
        return sources[0]
    from server.sources.failover import Failover  # noqa: PLC0415 (only when asked)

    return Failover(sources, settings.failover_after_s)
