"""Loads as messages per second, turned into the server's --symbols and --frequency-ms.

Each tick gives every symbol a price, plus 1/4 trade and 1/2 book per price (the simulator's
accumulators make these exact), and the server adds one `system` message per second:
msgs/s = symbols * 1.75 * 1000 / frequency_ms + 1. The default 8 symbols are kept while the
period can shrink to reach the target; past the shortest period symbols are added instead.
"""

import math
from dataclasses import dataclass
from pathlib import Path

from client.protocol import MAX_FREQUENCY_MS, MIN_FREQUENCY_MS
from server.recording import Recording
from server.simulator import BOOKS_PER_PRICE, DEFAULT_SYMBOL_COUNT, MAX_SYMBOLS, TRADES_PER_PRICE
from server.sources import REPLAY, split_url
from server.sources.replay import REPLAYED, US, parse_speed

MESSAGES_PER_PRICE = 1 + TRADES_PER_PRICE + BOOKS_PER_PRICE
SYSTEM_MSGS_PER_S = 1.0
MS_PER_S = 1000.0
PREFERRED_SYMBOLS = DEFAULT_SYMBOL_COUNT
MIN_SYMBOLS = 1


def market_rate(symbols: int, frequency_ms: int) -> float:
    """Messages per second from the market alone (prices, trades, books)."""
    return symbols * MESSAGES_PER_PRICE * MS_PER_S / frequency_ms


@dataclass(frozen=True)
class Load:
    target: int  # msgs/s asked for
    symbols: int
    frequency_ms: int

    @property
    def source(self) -> str | None:
        """The --source URL the market comes from; None for the simulator."""
        return None

    @property
    def expected(self) -> float:
        """msgs/s the server should send for these settings, system messages included."""
        return market_rate(self.symbols, self.frequency_ms) + SYSTEM_MSGS_PER_S

    def server_args(self, seed: int) -> tuple[str, ...]:
        return (
            "--symbols",
            str(self.symbols),
            "--frequency-ms",
            str(self.frequency_ms),
            "--seed",
            str(seed),
        )

    def describe(self) -> str:
        return (
            f"{self.target} msgs/s ({self.symbols} symbols every {self.frequency_ms} ms, "
            f"expected {self.expected:.0f} msgs/s)"
        )


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def load_for(target: int) -> Load:
    """The (symbols, period) pair closest to `target` msgs/s, preferring the default symbols."""
    wanted = max(target - SYSTEM_MSGS_PER_S, market_rate(MIN_SYMBOLS, MAX_FREQUENCY_MS))
    per_symbol_fastest = market_rate(1, MIN_FREQUENCY_MS)
    if wanted > PREFERRED_SYMBOLS * per_symbol_fastest:
        symbols = _clamp(round(wanted / per_symbol_fastest), PREFERRED_SYMBOLS, MAX_SYMBOLS)
        return Load(target, symbols, MIN_FREQUENCY_MS)
    frequency_ms = round(PREFERRED_SYMBOLS * MESSAGES_PER_PRICE * MS_PER_S / wanted)
    if frequency_ms <= MAX_FREQUENCY_MS:
        return Load(target, PREFERRED_SYMBOLS, max(frequency_ms, MIN_FREQUENCY_MS))
    per_symbol_slowest = market_rate(1, MAX_FREQUENCY_MS)
    symbols = _clamp(round(wanted / per_symbol_slowest), MIN_SYMBOLS, PREFERRED_SYMBOLS)
    return Load(target, symbols, MAX_FREQUENCY_MS)


@dataclass(frozen=True)
class SourceLoad(Load):
    """A market from `--source` (a recording, an exchange) instead of the simulator: its rate
    is the source's, known ahead only for a recording played at a given speed."""

    url: str = ""
    rate: float | None = None  # the stream's msgs/s, when known

    @property
    def source(self) -> str | None:
        return self.url

    @property
    def expected(self) -> float:
        return (self.rate or 0.0) + SYSTEM_MSGS_PER_S

    def server_args(self, seed: int) -> tuple[str, ...]:
        return ("--source", self.url)

    def describe(self) -> str:
        known = f"~{self.rate:.0f} msgs/s as recorded" if self.rate else "its own rate"
        return f"{self.url} ({known})"


def source_load(url: str) -> SourceLoad:
    """The load of a source URL; a replay's rate is read from its recording."""
    rate = replay_rate(url) if url.startswith(f"{REPLAY}://") else None
    symbols = 0
    return SourceLoad(round(rate or 0), symbols, 0, url=url, rate=rate)


def replay_rate(url: str) -> float | None:
    """Stream messages per second of the recording at the URL's speed (None for max)."""
    _, target, fields = split_url(url)
    speed = parse_speed(fields.get("speed", "1"))
    if speed == math.inf:
        return None
    arrivals = [
        arrival
        for _, arrival, message in Recording(Path(target)).records()
        if message.get("type") in REPLAYED
    ]
    span_s = (arrivals[-1] - arrivals[0]) / US if len(arrivals) > 1 else 0.0
    return len(arrivals) / span_s * speed if span_s else None
