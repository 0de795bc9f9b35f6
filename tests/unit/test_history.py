"""The SQLite history store: what goes in comes out (candles, trades, recent prices), it
survives a restart, retention removes the old, and a failing store degrades without raising."""

import asyncio
import sys
import time
from pathlib import Path

import pytest

from client.candles import CandleBook
from client.protocol import Message
from server.history import Status, check_url, history_class, history_for, parse_duration
from server.history.sqlite import SqliteHistory
from server.simulator import Market

SYMBOLS = ["BTC/USD", "ETH/USD"]
DAY_US = 86_400 * 1_000_000


def stream(ticks: int, start_us: int, period_us: int = 50_000) -> list[Message]:
    market = Market(SYMBOLS, seed=9)
    messages: list[Message] = []
    for tick in range(ticks):
        messages += market.step(start_us + tick * period_us)
    return messages


def store(path: Path, retention_s: float = 7 * 86_400) -> SqliteHistory:
    history = history_for(f"sqlite:///{path}", retention_s)
    assert isinstance(history, SqliteHistory)
    return history


def fill(history: SqliteHistory, messages: list[Message]) -> None:
    history.start()
    for message in messages:
        history.write(message, "")
    history.stop()


def test_candles_trades_and_prices_come_back_as_they_went_in(tmp_path: Path) -> None:
    now = time.time_ns() // 1000
    messages = stream(400, now - 60_000_000)
    history = store(tmp_path / "h.db")
    fill(history, messages)
    assert history.status == Status.OK
    assert history.written == sum(m["type"] in ("price", "trade") for m in messages)

    book = CandleBook()
    expected: dict[tuple[str, str, int], dict[str, float | int]] = {}
    for message in messages:
        book.add(message)
        for key, candle in book.take_changed():
            expected[key] = candle.as_wire()

    reopened = store(tmp_path / "h.db")
    reopened.open()
    for symbol in SYMBOLS:
        for interval in ("1s", "5s", "1m", "5m"):
            got = reopened.query_candles(symbol, interval, 0, 2**62, 10_000)
            want = [c for (s, i, _), c in sorted(expected.items()) if s == symbol and i == interval]
            assert got == want
        trades = reopened.query_trades(symbol, 0, -1, 2**62, 10_000)
        sent = [m for m in messages if m["type"] == "trade" and m["symbol"] == symbol]
        assert [(t["ts"], t["price"], t["size"], t["side"]) for t in trades] == [
            (m["ts"], m["price"], m["size"], m["side"]) for m in sent
        ]
    recent = reopened.recent_prices(SYMBOLS, 100)
    prices = [m for m in messages if m["type"] == "price" and m["symbol"] == "ETH/USD"]
    assert [m["price"] for m in recent["ETH/USD"]] == [m["price"] for m in prices[-100:]]
    assert reopened.known_symbols() == SYMBOLS
    reopened.close()


def test_trades_page_through_ties_of_ts_without_losing_or_repeating_any(tmp_path: Path) -> None:
    now = time.time_ns() // 1000
    messages = stream(300, now - 60_000_000)  # a tick's trades share its ts
    history = store(tmp_path / "h.db")
    fill(history, messages)
    history.open()
    pages, start, after = [], 0, -1
    while True:
        page = history.query_trades("BTC/USD", start, after, 2**62, 7)
        pages += page
        if len(page) < 7:
            break
        start, after = page[-1]["ts"], page[-1]["id"]
    assert [t["id"] for t in pages] == [
        t["id"] for t in history.query_trades("BTC/USD", 0, -1, 2**62, 10_000)
    ]
    history.close()


def test_a_restart_within_a_bucket_continues_its_candle(tmp_path: Path) -> None:
    start = (time.time_ns() // 1000) // 300_000_000 * 300_000_000 - 300_000_000
    messages = stream(200, start, period_us=100_000)  # 20 s inside one 5 min bucket
    fill(store(tmp_path / "h.db"), messages[: len(messages) // 2])
    fill(store(tmp_path / "h.db"), messages[len(messages) // 2 :])
    one_run = store(tmp_path / "one.db")
    fill(one_run, messages)
    two, one = store(tmp_path / "h.db"), store(tmp_path / "one.db")
    two.open()
    one.open()
    assert two.query_candles("BTC/USD", "5m", 0, 2**62, 10) == one.query_candles(
        "BTC/USD", "5m", 0, 2**62, 10
    )
    two.close()
    one.close()


def test_retention_removes_what_is_older(tmp_path: Path) -> None:
    now = time.time_ns() // 1000
    old = stream(50, now - 3 * DAY_US)
    fresh = stream(50, now - 1_000_000)
    history = store(tmp_path / "h.db", retention_s=86_400)
    fill(history, old + fresh)
    history.open()
    history.sweep(now - DAY_US)
    trades = history.query_trades("BTC/USD", 0, -1, 2**62, 10_000)
    assert trades
    assert all(t["ts"] >= now - DAY_US for t in trades)
    assert all(
        c["t"] >= now - DAY_US for c in history.query_candles("BTC/USD", "1s", 0, 2**62, 10_000)
    )
    history.close()


def test_a_store_that_breaks_degrades_and_the_writer_never_raises(tmp_path: Path) -> None:
    history = store(tmp_path / "h.db")
    history.start()
    assert history.writer is not None
    history.writer.close()  # as if the file had gone bad under it
    for message in stream(20, time.time_ns() // 1000):
        history.write(message, "")
    deadline = time.monotonic() + 5
    while history.status == Status.OK and time.monotonic() < deadline:
        time.sleep(0.05)
    assert history.status == Status.DEGRADED
    assert history.error
    assert history.health()["status"] == "degraded"
    history.stop()


def test_reads_run_off_the_event_loop(tmp_path: Path) -> None:
    history = store(tmp_path / "h.db")
    fill(history, stream(20, time.time_ns() // 1000))
    history.open()
    symbols = asyncio.run(history.read(history.known_symbols))
    assert symbols == SYMBOLS
    history.close()


@pytest.mark.parametrize(
    ("text", "seconds"), [("7d", 604_800), ("12h", 43_200), ("30m", 1800), ("45s", 45), ("90", 90)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0d", "7w", "-1h", "d"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text)


def test_urls() -> None:
    assert check_url("none") == "none"
    assert history_for("none", 1) is None
    with pytest.raises(ValueError, match="use sqlite:///PATH, postgresql://USER@HOST/DB or none"):
        check_url("mysql://x")


def test_a_missing_driver_is_named_with_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the extra were not installed
    monkeypatch.delitem(sys.modules, "server.history.postgres", raising=False)
    with pytest.raises(ValueError, match=r"needs its driver \(psycopg\): pip install"):
        history_class("postgresql://u@127.0.0.1/db")
