"""postgresql://USER@HOST:PORT/DB: the history store a cluster shares (--broker redis://):
the leader writes, every process reads. psycopg 3, prices and trades by COPY (PostgreSQL's bulk
path), candles upserted in the same transaction.
"""

import threading
from typing import Any

import psycopg

from client.candles import INTERVALS, Candle
from client.protocol import PRICE, TRADE, Message
from server.history import LAST_CANDLES, History

SCHEMA = """
CREATE TABLE IF NOT EXISTS symbols (id SERIAL PRIMARY KEY, name TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS prices (sid INTEGER NOT NULL, ts BIGINT NOT NULL,
    price DOUBLE PRECISION NOT NULL, volume BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS prices_by_symbol ON prices (sid, ts);
CREATE TABLE IF NOT EXISTS trades (id BIGSERIAL PRIMARY KEY, sid INTEGER NOT NULL,
    ts BIGINT NOT NULL, price DOUBLE PRECISION NOT NULL, size DOUBLE PRECISION NOT NULL,
    side TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS trades_by_symbol ON trades (sid, ts, id);
CREATE TABLE IF NOT EXISTS candles (sid INTEGER NOT NULL, interval BIGINT NOT NULL,
    t BIGINT NOT NULL, o DOUBLE PRECISION NOT NULL, h DOUBLE PRECISION NOT NULL,
    l DOUBLE PRECISION NOT NULL, c DOUBLE PRECISION NOT NULL, v DOUBLE PRECISION NOT NULL,
    n BIGINT NOT NULL, PRIMARY KEY (sid, interval, t));
"""
UPSERT_CANDLE = (
    "INSERT INTO candles VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (sid, interval, t) DO UPDATE SET h = excluded.h, l = excluded.l, "
    "c = excluded.c, v = excluded.v, n = excluded.n"
)
CONNECT_TIMEOUT_S = 5
SCHEMA_LOCK = 7_001  # an advisory lock: two processes creating the schema at once would clash


class PostgresHistory(History):
    errors = (psycopg.Error,)

    def __init__(self, url: str, retention_s: float) -> None:
        super().__init__(url, retention_s)
        self._writer: psycopg.Connection[Any] | None = None
        self._readers = threading.local()
        self._symbol_ids: dict[str, int] = {}

    def _connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url, connect_timeout=CONNECT_TIMEOUT_S, autocommit=True)

    def open(self) -> None:
        self._writer = self._connect()
        with self._writer.transaction():
            self._writer.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            self._writer.execute(SCHEMA)
        self._symbol_ids = dict(self._writer.execute("SELECT name, id FROM symbols").fetchall())
        self._seed_open_candles()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    @property
    def writer(self) -> psycopg.Connection[Any]:
        if self._writer is None or self._writer.closed:
            raise psycopg.OperationalError("the history store is not open")
        return self._writer

    def _sid(self, symbol: str) -> int:
        sid = self._symbol_ids.get(symbol)
        if sid is None:
            self.writer.execute(
                "INSERT INTO symbols (name) VALUES (%s) ON CONFLICT (name) DO NOTHING", (symbol,)
            )
            row = self.writer.execute(
                "SELECT id FROM symbols WHERE name = %s", (symbol,)
            ).fetchone()
            assert row is not None
            sid = self._symbol_ids[symbol] = int(row[0])
        return sid

    def _seed_open_candles(self) -> None:
        self.seed_candles(self.writer.execute(LAST_CANDLES).fetchall())

    def insert(
        self, batch: list[Message], candles: list[tuple[tuple[str, str, int], Candle]]
    ) -> None:
        sids = {m["symbol"]: self._sid(m["symbol"]) for m in batch}
        sids.update({symbol: self._sid(symbol) for (symbol, _, _), _ in candles})
        db = self.writer
        with db.transaction(), db.cursor() as cursor:
            with cursor.copy("COPY prices (sid, ts, price, volume) FROM STDIN") as copy:
                for m in batch:
                    if m["type"] == PRICE:
                        copy.write_row((sids[m["symbol"]], m["ts"], m["price"], m["volume"]))
            with cursor.copy("COPY trades (sid, ts, price, size, side) FROM STDIN") as copy:
                for m in batch:
                    if m["type"] == TRADE:
                        copy.write_row(
                            (sids[m["symbol"]], m["ts"], m["price"], m["size"], m["side"])
                        )
            cursor.executemany(
                UPSERT_CANDLE,
                [
                    (sids[s], INTERVALS[i], c.t, c.o, c.h, c.l, c.c, round(c.v, 8), c.n)
                    for (s, i, _), c in candles
                ],
            )

    def sweep(self, before_us: int) -> None:
        with self.writer.transaction():
            self.writer.execute("DELETE FROM prices WHERE ts < %s", (before_us,))
            self.writer.execute("DELETE FROM trades WHERE ts < %s", (before_us,))
            self.writer.execute("DELETE FROM candles WHERE t < %s", (before_us,))

    # -- readers, on worker threads ---------------------------------------------------------

    @property
    def reader(self) -> psycopg.Connection[Any]:
        connection: psycopg.Connection[Any] | None = getattr(self._readers, "connection", None)
        if connection is None or connection.closed or connection.broken:
            connection = self._readers.connection = self._connect()
        return connection

    def rows(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        return self.reader.execute(sql.replace("?", "%s").encode(), params).fetchall()
