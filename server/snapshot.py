"""What a client needs to be whole on (re)connect: recent history, last books, last trades.

Fed by the hub with every delivered message; bounded by the protocol's limits. A process that
joins a cluster late loads the same state from its broker, so every process gives a connecting
client the same snapshot for the same seq.
"""

from collections import deque

from client.protocol import (
    BOOK,
    CONFIG,
    HISTORY_LIMIT,
    PRICE,
    SNAPSHOT,
    SYSTEM,
    TRADE,
    TRADES_LIMIT,
    Message,
)


def _unnumbered(config: Message) -> Message:
    # The config is replayed to each new client after its snapshot: its old seq would read as
    # a duplicate there.
    return {name: value for name, value in config.items() if name != "seq"}


class Recorder:
    def __init__(self, config: Message) -> None:
        self._clear(config)

    def _clear(self, config: Message) -> None:
        self.config = _unnumbered(config)
        symbols: list[str] = config["symbols"]
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
        elif kind == CONFIG:
            self.config = _unnumbered(message)

    def snapshot(self, seq: int) -> Message:
        """The whole recent state, oldest first, as of `seq`."""
        return {
            "type": SNAPSHOT,
            "config": self.config,
            "prices": {symbol: list(history) for symbol, history in self.prices.items()},
            "last": dict(self.last_prices),
            "books": dict(self.books),
            "trades": list(self.trades),
            "system": self.system,
            "seq": seq,
        }

    def prefill(self, recent: dict[str, list[Message]]) -> None:
        """Start from stored price messages (the history), oldest first, per symbol."""
        for symbol, messages in recent.items():
            if symbol in self.prices and messages:
                self.prices[symbol].extend(m["price"] for m in messages)
                self.last_prices[symbol] = messages[-1]

    def load(self, snapshot: Message) -> None:
        """Replace everything with a snapshot's state (one taken by another process)."""
        self._clear(snapshot["config"])
        for symbol, history in snapshot["prices"].items():
            self.prices[symbol].extend(history)
        self.last_prices.update(snapshot["last"])
        self.books.update(snapshot["books"])
        self.trades.extend(snapshot["trades"])
        self.system = snapshot["system"]
