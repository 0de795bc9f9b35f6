"""A local order book kept from an exchange's snapshot and diffs; its top levels become our
`book` message. Pure: no clock, no I/O."""

import heapq

from client.protocol import BOOK_DEPTH


class OrderBook:
    def __init__(self) -> None:
        self.bids: dict[float, float] = {}
        self.asks: dict[float, float] = {}

    def reset(self, bids: list[tuple[float, float]], asks: list[tuple[float, float]]) -> None:
        self.bids = {price: size for price, size in bids if size > 0}
        self.asks = {price: size for price, size in asks if size > 0}

    def set(self, side: dict[float, float], price: float, size: float) -> None:
        """A level's new total size; 0 removes it (the exchanges send totals, not deltas)."""
        if size > 0:
            side[price] = size
        else:
            side.pop(price, None)

    def top(self, depth: int = BOOK_DEPTH) -> tuple[list[list[float]], list[list[float]]]:
        bids = heapq.nlargest(depth, self.bids.items())
        asks = heapq.nsmallest(depth, self.asks.items())
        return [[p, s] for p, s in bids], [[p, s] for p, s in asks]

    @property
    def crossed(self) -> bool:
        """A best bid at or above the best ask: the book has lost an update."""
        return bool(self.bids and self.asks) and max(self.bids) >= min(self.asks)
