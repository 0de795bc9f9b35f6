"""What a client needs to be whole on (re)connect: recent history, last books, last trades.

Fed by the hub with every published message; bounded by the protocol's limits.
"""

from collections import deque

from client.protocol import (
    BOOK,
    HISTORY_LIMIT,
    PRICE,
    SNAPSHOT,
    SYSTEM,
    TRADE,
    TRADES_LIMIT,
    Message,
)


class Recorder:
    def __init__(self, symbols: list[str]) -> None:
        self.prices: dict[str, deque[float]] = {s: deque(maxlen=HISTORY_LIMIT) for s in symbols}
        self.last_prices: dict[str, Message] = {}
        self.books: dict[str, Message] = {}
        self.trades: deque[Message] = deque(maxlen=TRADES_LIMIT)
        self.system: Message | None = None

    def record(self, message: Message) -> None:
        kind = message["type"]
        if kind == PRICE:
            self.prices[message["symbol"]].append(message["price"])
            self.last_prices[message["symbol"]] = message
        elif kind == TRADE:
            self.trades.append(message)
        elif kind == BOOK:
            self.books[message["symbol"]] = message
        elif kind == SYSTEM:
            self.system = message

    def snapshot(self, config: Message, seq: int) -> Message:
        """The whole recent state, oldest first, as of `seq`."""
        return {
            "type": SNAPSHOT,
            "config": config,
            "prices": {symbol: list(history) for symbol, history in self.prices.items()},
            "last": dict(self.last_prices),
            "books": dict(self.books),
            "trades": list(self.trades),
            "system": self.system,
            "seq": seq,
        }
