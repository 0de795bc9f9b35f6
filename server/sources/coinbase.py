"""coinbase://BTC-USD,ETH-USD: Coinbase's public Advanced Trade market-data WebSocket feed (no
key needed): `ticker` for prices, `market_trades` for trades, `level2` for the book, and
`heartbeats` so a quiet product still shows the feed is alive.

Every message carries the connection's `sequence_num`: one already seen is a duplicate and
dropped; a jump means a lost message, and the book is rebuilt from a fresh subscription.
`?ws=` points it elsewhere (the tests' local exchange).
"""

import asyncio
import re
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection

from client.protocol import Message
from server.settings import Settings
from server.sources import COINBASE, SourceError
from server.sources.exchange import (
    CHECK_TIMEOUT_S,
    BadFieldError,
    ExchangeSource,
    ResyncError,
    decimal,
    field,
    listed,
)

DEFAULT_WS = "wss://advanced-trade-ws.coinbase.com"
CHANNELS = ("heartbeats", "ticker", "market_trades", "level2")
SNAPSHOT = "snapshot"
UPDATE = "update"
SIDES = {"bid": "bids", "offer": "asks", "ask": "asks"}
TRADE_SIDES = {"BUY": "buy", "SELL": "sell"}


class CoinbaseSource(ExchangeSource):
    scheme = COINBASE
    default_ws = DEFAULT_WS
    product_pattern = re.compile(r"[A-Z0-9]{1,15}-[A-Z0-9]{1,15}")

    def __init__(self, url: str, settings: Settings) -> None:
        super().__init__(url, settings)
        self.last_sequence: int | None = None
        self.confirmed: set[str] = set()

    @classmethod
    def example(cls) -> str:
        return "coinbase://BTC-USD,ETH-USD"

    def our_symbol(self, product: str) -> str:
        return product.replace("-", "/")

    async def subscribe(self, ws: ClientConnection) -> None:
        for channel in CHANNELS:
            await ws.send(
                orjson.dumps(
                    {"type": "subscribe", "product_ids": self.products, "channel": channel}
                )
            )

    def on_disconnected(self) -> None:
        self.last_sequence = None  # numbered per connection

    async def check(self) -> None:
        """Subscribe once and wait for Coinbase to confirm every product."""
        try:
            async with self.connected() as ws, asyncio.timeout(CHECK_TIMEOUT_S):
                await self.subscribe(ws)
                async for data in self.received(ws):
                    self.checked(data)
                    if set(self.products) <= self.confirmed:
                        return
        except TimeoutError:
            missing = ", ".join(p for p in self.products if p not in self.confirmed)
            raise SourceError(
                f"coinbase did not confirm {missing} within {CHECK_TIMEOUT_S:g} s"
            ) from None
        except ConnectionError as failed:
            raise SourceError(f"coinbase: {failed}") from failed
        finally:
            self.on_disconnected()

    def handle(self, data: Any) -> list[Message]:
        if not isinstance(data, dict):
            raise BadFieldError("a message that is not an object")
        if data.get("type") == "error":
            reason = " ".join(str(data.get(k, "")) for k in ("message", "reason")).strip()
            raise SourceError(f"coinbase refused the subscription: {reason[:200]}")
        sequence = field(data, "sequence_num")
        if not isinstance(sequence, int):
            raise BadFieldError("sequence_num is not an integer")
        if self.last_sequence is not None:
            if sequence <= self.last_sequence:
                self.reject("a message it had already sent (duplicate sequence_num)")
                return []
            if sequence != self.last_sequence + 1:
                missed = sequence - self.last_sequence - 1
                self.last_sequence = None
                raise ResyncError(f"{missed} messages missed (sequence_num jumped to {sequence})")
        self.last_sequence = sequence
        channel = field(data, "channel")
        events = listed(data, "events")
        handler = {
            "l2_data": self._book,
            "market_trades": self._trades,
            "ticker": self._tickers,
            "subscriptions": self._subscriptions,
        }.get(channel)
        if handler is None:
            return []  # heartbeats, and channels we did not ask for
        return [message for event in events for message in handler(event)]

    def _subscriptions(self, event: Any) -> list[Message]:
        subscriptions = field(event, "subscriptions")
        if isinstance(subscriptions, dict):
            level2 = subscriptions.get("level2", [])
            if isinstance(level2, list):
                self.confirmed |= {p for p in level2 if isinstance(p, str)}
        return []

    def _book(self, event: Any) -> list[Message]:
        product = field(event, "product_id")
        self.symbol(product)
        kind = field(event, "type")
        updates = listed(event, "updates")
        parsed = []
        for update in updates:
            side = SIDES.get(field(update, "side"))
            if side is None:
                raise BadFieldError("an update's side is not bid or offer")
            price = decimal(field(update, "price_level"), "price_level")
            size = decimal(field(update, "new_quantity"), "new_quantity", positive=False)
            parsed.append((side, price, size))
        book = self.books[product]
        if kind == SNAPSHOT:
            book.reset(
                [(p, s) for side, p, s in parsed if side == "bids"],
                [(p, s) for side, p, s in parsed if side == "asks"],
            )
        elif kind == UPDATE:
            for side, price, size in parsed:
                book.set(book.bids if side == "bids" else book.asks, price, size)
        else:
            raise BadFieldError(f"a book event of type {str(kind)[:20]!r}")
        if book.crossed:
            raise ResyncError(f"the {product} book crossed")
        return [self.book(product)]

    def _trades(self, event: Any) -> list[Message]:
        if field(event, "type") == SNAPSHOT:
            return []  # trades from before we came: history, not news
        trades = listed(event, "trades")
        out = []
        for trade in trades:
            side = TRADE_SIDES.get(field(trade, "side"))
            if side is None:
                raise BadFieldError("a trade's side is not BUY or SELL")
            out.append(
                self.trade(
                    field(trade, "product_id"), field(trade, "price"), field(trade, "size"), side
                )
            )
        return out

    def _tickers(self, event: Any) -> list[Message]:
        return [
            self.price(field(t, "product_id"), field(t, "price"), field(t, "volume_24_h"))
            for t in listed(event, "tickers")
        ]
