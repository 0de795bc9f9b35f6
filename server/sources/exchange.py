"""What every exchange feed shares: the connection kept up (reconnect with backoff and jitter,
a silent feed counts as a dropped one), the exchange's fields validated before they become our
messages, and the symbols on our wire.

An adapter says how to subscribe and turns each of the exchange's messages into ours; it raises
ResyncError when its book can no longer be trusted (a sequence gap) and the connection starts
afresh, with a fresh snapshot. Bad data from outside costs only the message that carried it: it
is counted, logged once per kind of fault, and dropped.
"""

import asyncio
import logging
import math
import re
from abc import abstractmethod
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from client.backoff import retry_delay_ms
from client.protocol import BOOK, PRICE, SIDES, TRADE, Message
from server.settings import Settings
from server.sources import Emit, Source, SourceError, now_us, split_url
from server.sources.orderbook import OrderBook

SILENCE_S = 15.0  # no message for this long: the feed is dead even if the socket is not
CONNECT_TIMEOUT_S = 10.0
CHECK_TIMEOUT_S = 10.0
MAX_FRAME_BYTES = 16 * 1024 * 1024  # a full book snapshot is large
MS = 1000.0
OUR_SYMBOL = re.compile(r"^[A-Z0-9]{1,15}/[A-Z0-9]{1,15}$")
WS_SCHEMES = ("ws://", "wss://")
log = logging.getLogger("tickscope.exchange")


class ResyncError(Exception):
    """The local book missed an update: start again from a fresh snapshot."""


class BadFieldError(ValueError):
    """A field from the exchange is missing or not what its documentation says."""


def decimal(value: object, name: str, *, positive: bool = True) -> float:
    """An exchange's decimal string (or number) as a finite float: > 0, or >= 0 for sizes."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadFieldError(f"{name} is not a number: {str(value)[:40]!r}")
    try:
        number = float(value)
    except ValueError:
        raise BadFieldError(f"{name} is not a number: {str(value)[:40]!r}") from None
    if not math.isfinite(number) or number < 0 or (positive and number == 0):
        raise BadFieldError(f"{name} out of range: {number}")
    return number


def field(data: dict[str, Any], name: str) -> Any:
    if not isinstance(data, dict) or name not in data:
        raise BadFieldError(f"missing field {name!r}")
    return data[name]


def listed(data: dict[str, Any], name: str) -> list[Any]:
    """A field that must be a list."""
    value = field(data, name)
    if not isinstance(value, list):
        raise BadFieldError(f"{name} is not a list")
    return value


def levels(data: dict[str, Any], name: str) -> list[tuple[float, float]]:
    """A field holding [[price, size], ...] levels."""
    out = []
    for level in listed(data, name):
        if not isinstance(level, list) or len(level) < 2:
            raise BadFieldError(f"{name} has a level that is not [price, size]")
        out.append(
            (decimal(level[0], f"{name} price"), decimal(level[1], f"{name} size", positive=False))
        )
    return out


class ExchangeSource(Source):
    """One exchange's public feed for a list of its products."""

    default_ws: ClassVar[str]
    product_pattern: ClassVar[re.Pattern[str]]
    options: ClassVar[tuple[str, ...]] = ("ws", "names")

    def __init__(self, url: str, settings: Settings) -> None:
        super().__init__(url, settings)
        _, target, fields = split_url(url)
        self.fields = fields
        unknown = set(fields) - set(self.options)
        if unknown:
            raise ValueError(
                f"{self.scheme}:// has no option {', '.join(sorted(unknown))}; "
                f"it takes {', '.join(self.options)}"
            )
        self.products = [p.strip() for p in target.split(",") if p.strip()]
        if not self.products:
            raise ValueError(f"{self.scheme}:// needs products, e.g. {self.example()}")
        for product in self.products:
            if not self.product_pattern.fullmatch(product):
                raise ValueError(
                    f"{product[:40]!r} is not a {self.scheme} product name (e.g. {self.example()})"
                )
        if len(set(self.products)) != len(self.products):
            raise ValueError("products must be distinct")
        self.ws_url = fields.get("ws", self.default_ws)
        if not self.ws_url.startswith(WS_SCHEMES):
            raise ValueError(f"ws must be a ws:// or wss:// URL, got {self.ws_url[:60]!r}")
        names = [n.strip() for n in fields["names"].split(",")] if "names" in fields else None
        self._symbols = names or [self.our_symbol(p) for p in self.products]
        if len(self._symbols) != len(self.products):
            raise ValueError("names must name every product, in the same order")
        for symbol in self._symbols:
            if not OUR_SYMBOL.fullmatch(symbol):
                raise ValueError(f"{symbol[:40]!r} is not a symbol such as BTC/USD")
        self.symbol_of = dict(zip(self.products, self._symbols, strict=True))
        self.books = {product: OrderBook() for product in self.products}
        self.rejected: Counter[str] = Counter()  # faults in the exchange's data, by kind
        self.reconnects = 0
        self.resyncs = 0

    @property
    def symbols(self) -> list[str]:
        return list(self._symbols)

    @classmethod
    @abstractmethod
    def example(cls) -> str: ...

    @abstractmethod
    def our_symbol(self, product: str) -> str: ...

    @abstractmethod
    async def subscribe(self, ws: ClientConnection) -> None: ...

    @abstractmethod
    def handle(self, data: Any) -> list[Message]:
        """Our messages for one of the exchange's, or ResyncError."""

    async def on_connected(self, ws: ClientConnection, emit: Emit) -> None:
        """After subscribing: anything else the feed needs (Binance's book snapshots)."""
        return None

    def on_disconnected(self) -> None:
        """The connection is gone: whatever was kept for it is stale."""
        return None

    # -- the connection ---------------------------------------------------------------------

    @property
    def connect_url(self) -> str:
        return self.ws_url

    @asynccontextmanager
    async def connected(self) -> AsyncIterator[ClientConnection]:
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                ws = await connect(self.connect_url, max_size=MAX_FRAME_BYTES, compression=None)
        except (OSError, WebSocketException, TimeoutError) as failed:
            raise ConnectionError(f"cannot connect to {self.ws_url}: {failed}") from failed
        try:
            yield ws
        finally:
            await ws.close()

    async def run(self, emit: Emit) -> None:
        failures = 0
        while True:
            try:
                async with self.connected() as ws:
                    await self.subscribe(ws)
                    await self.on_connected(ws, emit)
                    async for data in self.received(ws):
                        messages = self.checked(data)
                        failures = 0
                        if messages:
                            await emit(messages)
            except ResyncError as lost:
                self.resyncs += 1
                log.warning("%s: %s; resubscribing for a fresh snapshot", self.scheme, lost)
            except (ConnectionError, WebSocketException, TimeoutError, SourceError) as dropped:
                failures += 1
                self.reconnects += 1
                delay = retry_delay_ms(failures) / MS
                log.warning(
                    "%s feed lost (%s); reconnecting in %.1f s", self.scheme, dropped, delay
                )
                await asyncio.sleep(delay)
            finally:
                self.on_disconnected()

    async def received(self, ws: ClientConnection) -> AsyncIterator[Any]:
        while True:
            try:
                async with asyncio.timeout(SILENCE_S):
                    frame = await ws.recv()
            except TimeoutError:
                raise TimeoutError(f"silent for {SILENCE_S:g} s") from None
            try:
                yield orjson.loads(frame)
            except orjson.JSONDecodeError:
                self.reject("a frame that is not JSON")

    def checked(self, data: Any) -> list[Message]:
        try:
            return self.handle(data)
        except BadFieldError as bad:
            self.reject(str(bad))
            return []

    def reject(self, fault: str) -> None:
        """Count a fault by its kind (the text before any `:`, which names no value) and log
        the first of each kind in full: a feed sending garbage cannot flood the log."""
        kind = fault.split(":", 1)[0]
        if not self.rejected[kind]:
            log.warning("%s sent %s; such messages are dropped", self.scheme, fault)
        self.rejected[kind] += 1

    def counts(self) -> dict[str, int]:
        return {
            "rejected": sum(self.rejected.values()),
            "reconnects": self.reconnects,
            "resyncs": self.resyncs,
        }

    # -- our messages -----------------------------------------------------------------------

    def symbol(self, product: object) -> str:
        symbol = self.symbol_of.get(product) if isinstance(product, str) else None
        if symbol is None:
            raise BadFieldError(f"a product we did not ask for: {str(product)[:40]!r}")
        return symbol

    def price(self, product: object, price: object, volume: object) -> Message:
        return {
            "type": PRICE,
            "symbol": self.symbol(product),
            "price": decimal(price, "price"),
            "volume": round(decimal(volume, "volume", positive=False)),
            "ts": now_us(),
        }

    def trade(self, product: object, price: object, size: object, side: str) -> Message:
        if side not in SIDES:
            raise BadFieldError(f"side is not buy or sell: {side[:10]!r}")
        return {
            "type": TRADE,
            "symbol": self.symbol(product),
            "price": decimal(price, "price"),
            "size": decimal(size, "size"),
            "side": side,
            "ts": now_us(),
        }

    def book(self, product: str) -> Message:
        bids, asks = self.books[product].top()
        return {
            "type": BOOK,
            "symbol": self.symbol(product),
            "bids": bids,
            "asks": asks,
            "ts": now_us(),
        }
