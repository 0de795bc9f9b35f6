"""Where the market's messages travel between the simulator and the hub, picked by URL scheme.

One small interface, one backend per scheme, each imported only when its scheme is asked for
(encode/broadcaster's style), so the default needs nothing beyond the server itself:

    memory://                      one process; the market runs here and publishes straight
                                   into the hub (the default)
    redis://host:port/db, rediss://, unix:///path.sock
                                   many processes on one market through Redis: one elected
                                   leader runs the market, every process fans out to its clients
"""

import enum
import uuid
from abc import ABC, abstractmethod
from contextlib import AbstractAsyncContextManager
from urllib.parse import urlsplit

from server.hub import Entry, Hub
from server.settings import Settings
from server.sources import Source

MEMORY_SCHEMES = ("memory",)
REDIS_SCHEMES = ("redis", "rediss", "unix")
SCHEMES = MEMORY_SCHEMES + REDIS_SCHEMES
MARKET_ID_CHARS = 12


class Role(enum.StrEnum):
    LEADER = "leader"  # runs the market
    FOLLOWER = "follower"  # serves clients from what the leader publishes


class BrokerUnavailableError(Exception):
    """The broker cannot be reached just now; the caller may try again."""


class Broker(ABC):
    def __init__(self, settings: Settings, hub: Hub, source: Source) -> None:
        self.settings = settings
        self.hub = hub
        self.source = source
        self.role = Role.FOLLOWER
        self.takeovers = 0  # times this process became the market's leader
        self.resyncs = 0  # times it lost messages and reloaded the shared snapshot

    @abstractmethod
    def running(self) -> AbstractAsyncContextManager[None]:
        """Run the broker's tasks (and the market, where this process leads) while open."""

    @abstractmethod
    async def set_frequency(self, frequency_ms: int) -> None:
        """Ask the market, wherever it runs, to change its period; it announces the change."""

    async def replay(self, after: int) -> list[Entry] | None:
        """The stream after seq `after`, or None when part of it is no longer retained."""
        return self.hub.retained_after(after)


def new_market_id() -> str:
    """A name for a run of the market that no earlier run had."""
    return uuid.uuid4().hex[:MARKET_ID_CHARS]


def check_url(url: str) -> str:
    """The broker URL, or ValueError naming what is accepted."""
    scheme = urlsplit(url).scheme
    if scheme not in SCHEMES:
        raise ValueError(
            f"unsupported broker {url!r}: use memory:// or redis://HOST:PORT/DB "
            "(also rediss:// and unix:///path/to/redis.sock)"
        )
    return url


def broker_class(url: str) -> type[Broker]:
    if urlsplit(check_url(url)).scheme in REDIS_SCHEMES:
        from server.brokers.redis_stream import RedisBroker  # noqa: PLC0415 (only when asked)

        return RedisBroker
    from server.brokers.memory import MemoryBroker  # noqa: PLC0415 (only when asked)

    return MemoryBroker


def broker_for(settings: Settings, hub: Hub, source: Source) -> Broker:
    return broker_class(settings.broker)(settings, hub, source)


async def preflight(settings: Settings, source: Source) -> None:
    """Raise BrokerUnavailableError, with a message a person can act on, if this process could
    not join its broker's market; checked before the server starts listening."""
    if urlsplit(check_url(settings.broker)).scheme in REDIS_SCHEMES:
        from server.brokers.redis_stream import RedisBroker  # noqa: PLC0415 (only when asked)

        await RedisBroker.preflight(settings, source)
