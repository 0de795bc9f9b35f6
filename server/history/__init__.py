"""The history store: every price and trade for a retention period, and OHLCV candles at 1 s,
5 s, 1 min and 5 min, picked by URL scheme like the brokers and the sources:

    sqlite:///PATH      an embedded SQLite file (the default: server/settings.py's
                        DEFAULT_HISTORY; four slashes for an absolute path)
    postgresql://USER@HOST:PORT/DB
                        PostgreSQL, shared by a cluster: its leader writes, every process reads
    none                no history: live only

The hub hands every delivered message to `write`, which only queues it; a thread of the store's
own aggregates candles and writes in one transaction every FLUSH_INTERVAL_S, so the stream never
waits on the disk. A store that fails (a full disk, a broken file) degrades to live-only: the
error is logged, /healthz says so, and the stream goes on; it is tried again after RETRY_S.
"""

import asyncio
import importlib
import logging
import queue
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, TypeVar

from client.candles import FIELDS, INTERVALS, Candle, CandleBook
from client.protocol import PRICE, TRADE, Message

SQLITE = "sqlite"
NONE = "none"
POSTGRESQL = "postgresql"
STORES: dict[str, str] = {
    SQLITE: "server.history.sqlite:SqliteHistory",
    POSTGRESQL: "server.history.postgres:PostgresHistory",  # the postgres extra
    "postgres": "server.history.postgres:PostgresHistory",
}
FLUSH_INTERVAL_S = 0.25
RETRY_S = 30.0
RETENTION_SWEEP_S = 60.0
MAX_QUEUED = 1_000_000  # messages waiting for the writer; past this they are dropped (counted)
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
US_PER_S = 1_000_000
LAST_CANDLES = (  # the newest candle of each symbol and interval
    "SELECT s.name, c.interval, c.t, c.o, c.h, c.l, c.c, c.v, c.n FROM candles c "
    "JOIN symbols s ON s.id = c.sid WHERE c.t = "
    "(SELECT max(t) FROM candles WHERE sid = c.sid AND interval = c.interval)"
)
log = logging.getLogger("tickscope.history")
T = TypeVar("T")


class Status:
    OK = "ok"
    DEGRADED = "degraded"  # writing failed: live only until the store works again
    OFF = "off"


def parse_duration(text: str) -> float:
    """`7d`, `12h`, `30m`, `45s` or a number of seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if match is None or float(match[1]) <= 0:
        raise ValueError(f"expected a duration such as 7d, 12h, 30m or 45s, got {text!r}")
    return float(match[1]) * DURATION_UNITS[match[2] or "s"]


def check_url(url: str) -> str:
    if url == NONE or url.partition("://")[0] in STORES:
        return url
    raise ValueError(
        f"unsupported history store {url!r}: use sqlite:///PATH, postgresql://USER@HOST/DB or none"
    )


class History(ABC):
    """A store with a writer thread. Subclasses say how to open, write, sweep and query."""

    errors: tuple[type[Exception], ...] = ()  # what its driver raises when the store fails

    def __init__(self, url: str, retention_s: float) -> None:
        self.url = url
        self.retention_s = retention_s
        self.status = Status.OK
        self.error: str | None = None
        self.written = 0
        self.dropped = 0
        self.candles = CandleBook()
        self._queue: queue.SimpleQueue[Message | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="history", daemon=True)
        self._retry_at = 0.0

    # -- the loop's side --------------------------------------------------------------------

    def start(self) -> None:
        self.open()
        self._thread.start()

    def write(self, message: Message, frame: str) -> None:
        """The hub's sink: queue prices and trades; never blocks."""
        if message["type"] in (PRICE, TRADE):
            if self._queue.qsize() >= MAX_QUEUED:
                self.dropped += 1
                return
            self._queue.put(message)

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self.close()

    async def read(self, query: Callable[[], T]) -> T:
        """Run a query on a worker thread: the event loop never waits on the disk."""
        return await asyncio.to_thread(query)

    def health(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "error": self.error,
            "written": self.written,
            "dropped": self.dropped,
        }

    # -- the writer thread ------------------------------------------------------------------

    def _run(self) -> None:
        next_sweep = 0.0
        while True:
            batch, stop = self._take_batch()
            for message in batch:
                self.candles.add(message)
            if self.status == Status.DEGRADED and not self._retry_due():
                self.dropped += len(batch)
                self.candles.take_changed()
            else:
                self._write(batch)
            if time.monotonic() >= next_sweep and self.status == Status.OK:
                next_sweep = time.monotonic() + RETENTION_SWEEP_S
                self._guarded(lambda: self.sweep(time.time_ns() // 1000 - self._retention_us))
            if stop:
                return

    @property
    def _retention_us(self) -> int:
        return int(self.retention_s * US_PER_S)

    def _take_batch(self) -> tuple[list[Message], bool]:
        batch: list[Message] = []
        deadline = time.monotonic() + FLUSH_INTERVAL_S
        while (left := deadline - time.monotonic()) > 0:
            try:
                item = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _write(self, batch: list[Message]) -> None:
        changed = self.candles.take_changed()
        if self._guarded(lambda: self.insert(batch, changed)):
            self.written += len(batch)
        else:
            self.dropped += len(batch)

    def _retry_due(self) -> bool:
        return time.monotonic() >= self._retry_at

    def _guarded(self, work: Callable[[], None]) -> bool:
        try:
            if self.status == Status.DEGRADED:
                self.reopen()
            work()
        except Exception as failed:  # any store error degrades the history, never the stream
            if self.status != Status.DEGRADED or str(failed) != self.error:
                log.error("history store failed, live only until it works again: %s", failed)
            self.status, self.error = Status.DEGRADED, str(failed)
            self._retry_at = time.monotonic() + RETRY_S
            return False
        if self.status == Status.DEGRADED:
            log.info("history store works again")
        self.status, self.error = Status.OK, None
        return True

    # -- what a store implements ------------------------------------------------------------

    @abstractmethod
    def open(self) -> None:
        """Open (creating if need be) the store, on the loop's thread, before streaming."""

    def reopen(self) -> None:
        """Open the writer's connection again after a failure."""
        self.close()
        self.open()

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def insert(
        self, batch: list[Message], candles: list[tuple[tuple[str, str, int], Candle]]
    ) -> None:
        """Write prices and trades, and upsert the candles they changed, in one transaction."""

    @abstractmethod
    def sweep(self, before_us: int) -> None:
        """Delete what is older than the retention period."""

    @abstractmethod
    def rows(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """A read, written with `?` placeholders, on this worker thread's own connection."""

    newest_first = "ts DESC"  # how a symbol's prices are ordered newest first

    def seed_candles(self, rows: list[tuple[Any, ...]]) -> None:
        """A restart within a bucket continues the stored candle (LAST_CANDLES' rows) rather
        than replacing it."""
        names = {length: name for name, length in INTERVALS.items()}
        for symbol, interval, t, o, h, low, close, v, n in rows:
            if interval in names:
                self.candles.seed(symbol, names[interval], Candle(t, o, h, low, close, v, n))

    # -- reads, the same SQL for every store ------------------------------------------------

    def _read_sid(self, symbol: str) -> int | None:
        found = self.rows("SELECT id FROM symbols WHERE name = ?", (symbol,))
        return int(found[0][0]) if found else None

    def known_symbols(self) -> list[str]:
        return [name for (name,) in self.rows("SELECT name FROM symbols ORDER BY id")]

    def recent_prices(self, symbols: list[str], limit: int) -> dict[str, list[Message]]:
        """The last `limit` price messages of each symbol, oldest first (for the snapshot)."""
        recent: dict[str, list[Message]] = {}
        for symbol in symbols:
            sid = self._read_sid(symbol)
            if sid is None:
                continue
            found = self.rows(
                "SELECT ts, price, volume FROM prices WHERE sid = ? "
                f"ORDER BY {self.newest_first} LIMIT ?",
                (sid, limit),
            )
            recent[symbol] = [
                {"type": PRICE, "symbol": symbol, "price": price, "volume": volume, "ts": ts}
                for ts, price, volume in reversed(found)
            ]
        return recent

    def query_candles(
        self, symbol: str, interval: str, start: int, end: int, limit: int
    ) -> list[dict[str, float | int]]:
        sid = self._read_sid(symbol)
        if sid is None:
            return []
        found = self.rows(
            "SELECT t, o, h, l, c, v, n FROM candles WHERE sid = ? AND interval = ? "
            "AND t >= ? AND t < ? ORDER BY t LIMIT ?",
            (sid, INTERVALS[interval], start, end, limit),
        )
        return [dict(zip(FIELDS, row, strict=True)) for row in found]

    def query_trades(
        self, symbol: str, start: int, after: int, end: int, limit: int
    ) -> list[dict[str, Any]]:
        """Trades from `start` on (those at `start` only past id `after`), before `end`."""
        sid = self._read_sid(symbol)
        if sid is None:
            return []
        found = self.rows(
            "SELECT id, ts, price, size, side FROM trades WHERE sid = ? "
            "AND (ts > ? OR (ts = ? AND id > ?)) AND ts < ? ORDER BY ts, id LIMIT ?",
            (sid, start, start, after, end, limit),
        )
        return [
            {"id": id_, "symbol": symbol, "ts": ts, "price": price, "size": size, "side": side}
            for id_, ts, price, size, side in found
        ]


def history_class(url: str) -> type[History] | None:
    """The store class for a URL (None for `none`); ValueError when its driver is missing."""
    if check_url(url) == NONE:
        return None
    module_name, _, class_name = STORES[url.partition("://")[0]].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as missing:
        raise ValueError(
            f"{url.partition('://')[0]}:// needs its driver ({missing.name}): "
            "pip install '.[postgres]', which make run-cluster does"
        ) from None
    store: type[History] = getattr(module, class_name)
    return store


def history_for(url: str, retention_s: float) -> History | None:
    store = history_class(url)
    return None if store is None else store(url, retention_s)
