"""The Recorder: bounded recent state, and the snapshot a (re)connecting client starts from."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from client import protocol
from server.snapshot import Recorder

SYMBOLS = ["BTC/USD", "ETH/USD"]
CONFIG = {"type": "config", "frequency_ms": 50, "symbols": SYMBOLS}


def price(symbol: str, value: float, seq: int = 0) -> dict[str, Any]:
    return {"type": "price", "symbol": symbol, "price": value, "volume": 100, "ts": seq, "seq": seq}


def trade(n: int) -> dict[str, Any]:
    return {
        "type": "trade",
        "symbol": "BTC/USD",
        "price": 1.0,
        "size": 1.0,
        "side": "buy",
        "ts": n,
        "seq": n,
    }


def book(symbol: str, seq: int) -> dict[str, Any]:
    return {"type": "book", "symbol": symbol, "bids": [[1.0, 1.0]], "asks": [[2.0, 1.0]], "ts": seq}


def system(seq: int) -> dict[str, Any]:
    return {"type": "system", "cpu_pct": 1.0, "mem_mb": 50.0, "msg_rate": 10, "ts": seq, "seq": seq}


@pytest.fixture
def recorder() -> Recorder:
    return Recorder(CONFIG)


def test_price_history_is_capped_at_the_history_limit_keeping_the_newest(
    recorder: Recorder,
) -> None:
    assert protocol.HISTORY_LIMIT == 1000
    for i in range(1500):
        recorder.record(price("BTC/USD", float(i)))
    history = recorder.snapshot(0)["prices"]["BTC/USD"]
    assert history == [float(i) for i in range(500, 1500)]


@given(st.integers(min_value=0, max_value=2500))
def test_price_history_is_the_last_thousand_prices_oldest_first(count: int) -> None:
    recorder = Recorder(protocol.config(50, ["X"]))
    for i in range(count):
        recorder.record(price("X", float(i)))
    assert recorder.snapshot(0)["prices"]["X"] == [float(i) for i in range(count)][-1000:]


def test_price_histories_are_kept_per_symbol(recorder: Recorder) -> None:
    recorder.record(price("BTC/USD", 1.0))
    recorder.record(price("ETH/USD", 2.0))
    recorder.record(price("BTC/USD", 3.0))
    assert recorder.snapshot(0)["prices"] == {"BTC/USD": [1.0, 3.0], "ETH/USD": [2.0]}


def test_every_symbol_has_a_history_even_before_its_first_price(recorder: Recorder) -> None:
    assert recorder.snapshot(0)["prices"] == {"BTC/USD": [], "ETH/USD": []}


def test_last_price_message_is_kept_per_symbol(recorder: Recorder) -> None:
    recorder.record(price("BTC/USD", 1.0, seq=1))
    recorder.record(price("BTC/USD", 2.0, seq=2))
    recorder.record(price("ETH/USD", 3.0, seq=3))
    last = recorder.snapshot(3)["last"]
    assert last == {
        "BTC/USD": price("BTC/USD", 2.0, seq=2),
        "ETH/USD": price("ETH/USD", 3.0, seq=3),
    }


def test_trades_are_capped_at_100_dropping_the_oldest(recorder: Recorder) -> None:
    assert protocol.TRADES_LIMIT == 100
    for n in range(250):
        recorder.record(trade(n))
    trades = recorder.snapshot(0)["trades"]
    assert [t["seq"] for t in trades] == list(range(150, 250))


def test_last_book_per_symbol_replaces_the_previous_one(recorder: Recorder) -> None:
    recorder.record(book("BTC/USD", 1))
    recorder.record(book("ETH/USD", 2))
    recorder.record(book("BTC/USD", 3))
    books = recorder.snapshot(3)["books"]
    assert books == {"BTC/USD": book("BTC/USD", 3), "ETH/USD": book("ETH/USD", 2)}


def test_latest_system_message_is_kept(recorder: Recorder) -> None:
    assert recorder.snapshot(0)["system"] is None
    recorder.record(system(1))
    recorder.record(system(2))
    assert recorder.snapshot(2)["system"] == system(2)


def test_other_message_types_leave_the_state_unchanged(recorder: Recorder) -> None:
    before = recorder.snapshot(0)
    recorder.record(protocol.error("wrong_type", "x"))
    assert recorder.snapshot(0) == before


def test_a_config_change_is_kept_without_its_seq(recorder: Recorder) -> None:
    recorder.record({**protocol.config(200, SYMBOLS, "m1"), "seq": 9})
    assert recorder.snapshot(9)["config"] == protocol.config(200, SYMBOLS, "m1")


def test_snapshot_has_exactly_the_protocol_fields_and_the_given_seq_and_config(
    recorder: Recorder,
) -> None:
    recorder.record(price("BTC/USD", 1.0))
    snapshot = recorder.snapshot(1234)
    assert set(snapshot) == set(protocol.FIELDS["snapshot"])
    assert len(snapshot) == len(protocol.FIELDS["snapshot"])
    assert snapshot["type"] == "snapshot"
    assert snapshot["seq"] == 1234
    assert snapshot["config"] == CONFIG


def test_snapshot_is_not_changed_by_later_messages(recorder: Recorder) -> None:
    recorder.record(price("BTC/USD", 1.0))
    recorder.record(trade(1))
    recorder.record(book("BTC/USD", 1))
    snapshot = recorder.snapshot(1)
    recorder.record(price("BTC/USD", 2.0))
    recorder.record(price("ETH/USD", 2.0))
    recorder.record(trade(2))
    recorder.record(book("ETH/USD", 2))
    assert snapshot["prices"] == {"BTC/USD": [1.0], "ETH/USD": []}
    assert list(snapshot["last"]) == ["BTC/USD"]
    assert [t["seq"] for t in snapshot["trades"]] == [1]
    assert list(snapshot["books"]) == ["BTC/USD"]
