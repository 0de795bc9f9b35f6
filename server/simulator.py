"""A seeded market model: prices, trades and order books. Pure: no clock, no I/O.

Each `step(ts)` is one tick of the market: a price for every symbol, then trades and books in
fixed proportion to the price rate (1/4 and 1/2). Proportions use accumulators rather than dice,
so the rates are exact over any window and the same seed always gives the same messages.
"""

import math
import random
from dataclasses import dataclass

from client.protocol import (
    BOOK,
    BOOK_DEPTH,
    PRICE,
    SIDES,
    TRADE,
    TRADE_SIZE_MAX,
    TRADE_SIZE_MIN,
    VOLUME_MAX,
    VOLUME_MIN,
    Message,
    price_decimals,
)

VOLATILITY = 0.002  # standard deviation of the per-tick return: the reference's 0.2%
TRADES_PER_PRICE = 0.25
BOOKS_PER_PRICE = 0.5
TRADE_SPREAD = 0.0005  # trades print within ±0.05% of the market price
BOOK_HALF_SPREAD = 0.0001  # best bid/ask sit this fraction away from the market price
BOOK_LEVEL_STEP = 0.0001  # mean gap between levels, as a fraction of the price

# Well-known pairs with plausible starting prices; counts beyond these get synthetic names.
KNOWN_SYMBOLS: dict[str, float] = {
    "BTC/USD": 45000.0,
    "ETH/USD": 2500.0,
    "SOL/USD": 100.0,
    "ADA/USD": 0.45,
    "DOT/USD": 7.5,
    "AVAX/USD": 35.0,
    "LINK/USD": 15.0,
    "XRP/USD": 0.6,
    "DOGE/USD": 0.08,
    "LTC/USD": 70.0,
    "ATOM/USD": 9.0,
    "UNI/USD": 6.0,
    "XLM/USD": 0.12,
    "NEAR/USD": 3.0,
    "APT/USD": 8.0,
    "ARB/USD": 1.1,
}
DEFAULT_SYMBOL_COUNT = 8
MAX_SYMBOLS = 1000


def default_symbols(count: int = DEFAULT_SYMBOL_COUNT) -> list[str]:
    """The first `count` known pairs, then synthetic ones (T017/USD, …)."""
    if not 1 <= count <= MAX_SYMBOLS:
        raise ValueError(f"symbol count must be from 1 to {MAX_SYMBOLS}, got {count}")
    known = list(KNOWN_SYMBOLS)[:count]
    synthetic = [f"T{index:03d}/USD" for index in range(len(known) + 1, count + 1)]
    return known + synthetic


@dataclass
class Instrument:
    symbol: str
    price: float
    decimals: int  # fixed at the start, so the price grid never changes under a book

    @property
    def tick(self) -> float:
        return 10.0**-self.decimals

    def quoted(self, value: float) -> float:
        return round(value, self.decimals)


class Market:
    """The whole simulated market. Deterministic for a seed."""

    def __init__(self, symbols: list[str], seed: int | None = None) -> None:
        if not symbols:
            raise ValueError("a market needs at least one symbol")
        if not all(symbol.strip() for symbol in symbols):
            raise ValueError("symbol names must not be empty")
        if len(set(symbols)) != len(symbols):
            raise ValueError("symbols must be distinct")
        self.random = random.Random(seed)
        self.instruments = [self._instrument(symbol) for symbol in symbols]
        self._by_symbol = {instrument.symbol: instrument for instrument in self.instruments}
        self._trades_due = 0.0
        self._books_due = 0.0
        self._next_book = 0

    @property
    def symbols(self) -> list[str]:
        return [instrument.symbol for instrument in self.instruments]

    def _instrument(self, symbol: str) -> Instrument:
        start = KNOWN_SYMBOLS.get(symbol) or 10 ** self.random.uniform(-1, 3)
        return Instrument(symbol, start, price_decimals(start))

    def price_of(self, symbol: str) -> float:
        return self._by_symbol[symbol].price

    def resume(self, prices: dict[str, float]) -> None:
        """Continue from the last published prices (another process's market), not the start."""
        for symbol, price in prices.items():
            instrument = self._by_symbol.get(symbol)
            if instrument is not None and price > 0:
                instrument.price = price

    def step(self, ts: int) -> list[Message]:
        """One tick: a price per symbol, then the trades and books that fall due."""
        messages = [self._price(instrument, ts) for instrument in self.instruments]
        count = len(self.instruments)
        self._trades_due += count * TRADES_PER_PRICE
        while self._trades_due >= 1:
            self._trades_due -= 1
            messages.append(self._trade(self.random.choice(self.instruments), ts))
        self._books_due += count * BOOKS_PER_PRICE
        while self._books_due >= 1:
            self._books_due -= 1
            instrument = self.instruments[self._next_book]
            self._next_book = (self._next_book + 1) % count
            messages.append(self._book(instrument, ts))
        return messages

    def _price(self, instrument: Instrument, ts: int) -> Message:
        instrument.price *= math.exp(self.random.gauss(0.0, VOLATILITY))
        return {
            "type": PRICE,
            "symbol": instrument.symbol,
            "price": instrument.quoted(instrument.price),
            "volume": self.random.randint(VOLUME_MIN, VOLUME_MAX),
            "ts": ts,
        }

    def _trade(self, instrument: Instrument, ts: int) -> Message:
        spread = self.random.uniform(-TRADE_SPREAD, TRADE_SPREAD)
        return {
            "type": TRADE,
            "symbol": instrument.symbol,
            "price": instrument.quoted(instrument.price * (1 + spread)),
            "size": round(self.random.uniform(TRADE_SIZE_MIN, TRADE_SIZE_MAX), 4),
            "side": self.random.choice(SIDES),
            "ts": ts,
        }

    def _book(self, instrument: Instrument, ts: int) -> Message:
        # Whole ticks around the quoted price, so rounding can never cross or tie two levels
        # and the best bid and ask always straddle the last published price.
        price_ticks = round(instrument.price / instrument.tick)
        half_spread = max(1, round(price_ticks * BOOK_HALF_SPREAD))
        step = max(1.0, price_ticks * BOOK_LEVEL_STEP)
        bids = self._levels(instrument, price_ticks - half_spread, -step)
        asks = self._levels(instrument, price_ticks + half_spread, step)
        return {"type": BOOK, "symbol": instrument.symbol, "bids": bids, "asks": asks, "ts": ts}

    def _levels(self, instrument: Instrument, best: int, step: float) -> list[list[float]]:
        levels = []
        level = best
        for _ in range(BOOK_DEPTH):
            size = round(self.random.uniform(TRADE_SIZE_MIN, TRADE_SIZE_MAX), 4)
            levels.append([instrument.quoted(level * instrument.tick), size])
            jump = max(1, round(abs(step) * self.random.uniform(0.5, 1.5)))
            level = level + jump if step > 0 else level - jump
        return levels
