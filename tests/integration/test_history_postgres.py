"""PostgreSQL as the history a cluster shares: Debian's server started here, the store's round
trip, and two processes on one Redis market where the leader alone writes and both answer."""

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from client.candles import CandleBook
from client.protocol import Message
from server.cluster import RedisProcess
from server.history import history_for
from server.history.postgres import PostgresHistory
from server.postgres import PostgresProcess
from server.simulator import Market
from tests.conftest import TEST_SEED, start_server
from tests.integration.test_history import live, until_stored
from tests.integration.wsclient import run

SYMBOLS = ["BTC/USD", "ETH/USD"]


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresProcess]:
    with PostgresProcess() as running:
        yield running


def test_the_store_gives_back_what_it_was_given(postgres: PostgresProcess) -> None:
    history = history_for(postgres.url, 86_400)
    assert isinstance(history, PostgresHistory)
    market = Market(SYMBOLS, seed=2)
    start = time.time_ns() // 1000 - 30_000_000
    messages: list[Message] = []
    for tick in range(300):
        messages += market.step(start + tick * 50_000)
    history.start()
    for message in messages:
        history.write(message, "")
    history.stop()
    assert history.error is None
    book = CandleBook()
    expected = {}
    for message in messages:
        book.add(message)
        for key, candle in book.take_changed():
            expected[key] = candle.as_wire()
    history.open()
    got = history.query_candles("ETH/USD", "1s", 0, 2**62, 10_000)
    want = [c for (s, i, _), c in sorted(expected.items()) if s == "ETH/USD" and i == "1s"]
    assert got == want
    trades = history.query_trades("BTC/USD", 0, -1, 2**62, 10_000)
    sent = [m for m in messages if m["type"] == "trade" and m["symbol"] == "BTC/USD"]
    assert [(t["ts"], t["price"], t["size"]) for t in trades] == [
        (m["ts"], m["price"], m["size"]) for m in sent
    ]
    recent = history.recent_prices(["BTC/USD"], 10)["BTC/USD"]
    assert [m["price"] for m in recent] == [
        m["price"] for m in messages if m["type"] == "price" and m["symbol"] == "BTC/USD"
    ][-10:]
    history.close()


def test_a_cluster_shares_one_history_written_once(tmp_path: Path) -> None:
    with PostgresProcess() as store, RedisProcess() as redis:
        common = (
            "--broker",
            redis.url,
            "--history",
            store.url,
            "--seed",
            str(TEST_SEED),
            "--frequency-ms",
            "20",
        )
        with start_server(*common) as first, start_server(*common) as second:
            messages = run(live(first, 2.0))
            sent = [m for m in messages if m["type"] == "trade" and m["symbol"] == "BTC/USD"]
            stored = until_stored(second, "BTC/USD", sent[-1]["ts"])
            ids = [(t["ts"], t["price"], t["size"]) for t in stored]
            assert len(ids) == len(set(ids)), "each trade is written once, by the leader"
            for m in sent:
                assert (m["ts"], m["price"], m["size"]) in ids
            closed = {"symbol": "BTC/USD", "interval": "1s", "to": sent[-1]["ts"] - 1_000_000}
            answers = [
                httpx.get(server.url + "/api/candles", params=closed, timeout=10).json()["candles"]
                for server in (first, second)
            ]
            assert answers[0]
            assert answers[0] == answers[1]
