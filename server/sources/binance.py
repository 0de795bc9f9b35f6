"""binance://btcusdt,ethusdt: Binance's public spot streams (no key needed), combined on one
connection: `@ticker` for prices, `@trade` for trades, `@depth@100ms` diffs for the book.

The book follows Binance's documented procedure: buffer the diffs, fetch a REST snapshot, drop
the diffs it already holds (`u` <= lastUpdateId), check that the first one left spans
lastUpdateId + 1, then apply each diff whose `U` is the previous `u` + 1. Any other `U` is a
lost diff: the book is fetched afresh while new diffs buffer. A trade id already seen is a
duplicate and dropped. `?ws=` and `?rest=` point it elsewhere (the tests' local exchange).
"""

import asyncio
import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection

from client.protocol import Message
from server.settings import Settings
from server.sources import BINANCE, Emit, SourceError
from server.sources.exchange import BadFieldError, ExchangeSource, levels
from server.sources.exchange import field as required

DEFAULT_WS = "wss://stream.binance.com:9443"
DEFAULT_REST = "https://api.binance.com"
SNAPSHOT_LIMIT = 1000
REST_TIMEOUT_S = 10.0
# Longest first: btcusdt is BTC/USDT, not BTCU/SDT.
QUOTES = (
    "FDUSD",
    "USDT",
    "USDC",
    "TUSD",
    "BUSD",
    "BTC",
    "ETH",
    "BNB",
    "EUR",
    "TRY",
    "BRL",
    "JPY",
    "GBP",
    "AUD",
    "USD",
    "DAI",
)
HTTP_OK = 200


@dataclass
class BookSync:
    """Where one product's book stands against the diff stream."""

    synced: bool = False
    fresh: bool = False  # synced from a snapshot, no diff applied since
    last_update: int = 0
    buffered: list[dict[str, Any]] = field(default_factory=list)
    fetching: asyncio.Task[None] | None = None


class BinanceSource(ExchangeSource):
    scheme = BINANCE
    default_ws = DEFAULT_WS
    product_pattern = re.compile(r"[a-z0-9]{2,20}")
    options = ("ws", "rest", "names")

    def __init__(self, url: str, settings: Settings) -> None:
        super().__init__(url, settings)
        self.rest_url = self.fields.get("rest", DEFAULT_REST).rstrip("/")
        if not self.rest_url.startswith(("http://", "https://")):
            raise ValueError(f"rest must be an http:// or https:// URL, got {self.rest_url[:60]!r}")
        self.sync = {product: BookSync() for product in self.products}
        self.last_trade: dict[str, int] = {}
        self._emit: Emit | None = None

    @classmethod
    def example(cls) -> str:
        return "binance://btcusdt,ethusdt"

    def our_symbol(self, product: str) -> str:
        upper = product.upper()
        for quote in QUOTES:
            if upper.endswith(quote) and len(upper) > len(quote):
                return f"{upper[: -len(quote)]}/{quote}"
        raise ValueError(f"cannot tell the quote currency of {product!r}; name it with ?names=")

    @property
    def connect_url(self) -> str:
        streams = "/".join(
            f"{p}@{kind}" for p in self.products for kind in ("ticker", "trade", "depth@100ms")
        )
        return f"{self.ws_url.rstrip('/')}/stream?streams={streams}"

    async def subscribe(self, ws: ClientConnection) -> None:
        return None  # the streams are named in the URL

    async def on_connected(self, ws: ClientConnection, emit: Emit) -> None:
        self._emit = emit
        for product in self.products:
            self._resync(product)

    def on_disconnected(self) -> None:
        for sync in self.sync.values():
            if sync.fetching is not None:
                sync.fetching.cancel()
        self.sync = {product: BookSync() for product in self.products}

    # -- REST -------------------------------------------------------------------------------

    def _get_depth(self, product: str, limit: int) -> dict[str, Any]:
        url = f"{self.rest_url}/api/v3/depth?symbol={product.upper()}&limit={limit}"
        try:
            with urllib.request.urlopen(url, timeout=REST_TIMEOUT_S) as response:
                body: dict[str, Any] = json.loads(response.read())
                return body
        except urllib.error.HTTPError as refused:
            try:
                reason = json.loads(refused.read()).get("msg", refused.reason)
            except ValueError:
                reason = refused.reason
            raise SourceError(f"binance has no symbol {product.upper()} ({reason})") from None
        except (OSError, ValueError) as failed:
            raise ConnectionError(f"cannot reach binance at {self.rest_url}: {failed}") from failed

    async def check(self) -> None:
        for product in self.products:
            try:
                await asyncio.to_thread(self._get_depth, product, 5)
            except ConnectionError as failed:
                raise SourceError(str(failed)) from failed

    def _resync(self, product: str) -> None:
        sync = self.sync[product]
        sync.synced = False
        self.books[product].reset([], [])
        if sync.fetching is None or sync.fetching.done():
            sync.fetching = asyncio.create_task(self._fetch_snapshot(product))

    async def _fetch_snapshot(self, product: str) -> None:
        try:
            snapshot = await asyncio.to_thread(self._get_depth, product, SNAPSHOT_LIMIT)
            messages = self._apply_snapshot(product, snapshot)
        except (ConnectionError, SourceError, BadFieldError) as failed:
            self.reject(f"no book snapshot: {failed}")
            await asyncio.sleep(1.0)
            self.sync[product].fetching = None
            self._resync(product)
            return
        if messages and self._emit is not None:
            await self._emit(messages)

    def _apply_snapshot(self, product: str, snapshot: Any) -> list[Message]:
        last_update = required(snapshot, "lastUpdateId")
        if not isinstance(last_update, int):
            raise BadFieldError("lastUpdateId is not an integer")
        sync = self.sync[product]
        pending = [d for d in sync.buffered if d["u"] > last_update]
        if pending and pending[0]["U"] > last_update + 1:
            sync.buffered = pending
            raise BadFieldError("a snapshot older than the diffs buffered since")
        self.books[product].reset(levels(snapshot, "bids"), levels(snapshot, "asks"))
        sync.last_update, sync.buffered, sync.synced, sync.fresh = last_update, [], True, True
        for diff in pending:
            self._apply_diff(product, diff)
            sync.fresh = False
        return [self.book(product)]

    # -- the stream -------------------------------------------------------------------------

    def handle(self, data: Any) -> list[Message]:
        stream = required(data, "stream")
        payload = required(data, "data")
        if not isinstance(stream, str):
            raise BadFieldError("stream is not a string")
        product, _, kind = stream.partition("@")
        self.symbol(product)
        if kind == "ticker":
            return [self.price(product, required(payload, "c"), required(payload, "v"))]
        if kind == "trade":
            return self._trade(product, payload)
        if kind.startswith("depth"):
            return self._diff(product, payload)
        return []

    def _trade(self, product: str, payload: Any) -> list[Message]:
        trade_id = required(payload, "t")
        if not isinstance(trade_id, int):
            raise BadFieldError("a trade id that is not an integer")
        if trade_id <= self.last_trade.get(product, -1):
            self.reject("a trade it had already sent (duplicate trade id)")
            return []
        self.last_trade[product] = trade_id
        buyer_is_maker = required(payload, "m")
        side = "sell" if buyer_is_maker is True else "buy"  # the taker's side
        return [self.trade(product, required(payload, "p"), required(payload, "q"), side)]

    def _diff(self, product: str, payload: Any) -> list[Message]:
        first, last = required(payload, "U"), required(payload, "u")
        if not isinstance(first, int) or not isinstance(last, int) or first > last:
            raise BadFieldError("a depth update whose U and u are not an integer range")
        diff = {
            "U": first,
            "u": last,
            "b": levels(payload, "b"),
            "a": levels(payload, "a"),
        }
        sync = self.sync[product]
        if not sync.synced:
            sync.buffered.append(diff)
            return []
        if last <= sync.last_update:
            self.reject("a depth update it had already sent")
            return []
        # The first diff after a snapshot need only span the snapshot's next id.
        expected = first <= sync.last_update + 1 if sync.fresh else first == sync.last_update + 1
        sync.fresh = False
        if not expected:
            self.resyncs += 1
            self.reject("a depth update after a gap; the book is fetched afresh")
            self._resync(product)
            sync.buffered.append(diff)
            return []
        self._apply_diff(product, diff)
        return [self.book(product)]

    def _apply_diff(self, product: str, diff: dict[str, Any]) -> None:
        book = self.books[product]
        for price, size in diff["b"]:
            book.set(book.bids, price, size)
        for price, size in diff["a"]:
            book.set(book.asks, price, size)
        self.sync[product].last_update = diff["u"]
