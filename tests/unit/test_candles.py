"""Candles kept incrementally agree with candles computed afresh from the same stream."""

from client.candles import INTERVALS, Candle, CandleBook
from client.protocol import Message
from server.simulator import Market


def stream(ticks: int, period_us: int = 37_000) -> list[Message]:
    market = Market(["BTC/USD", "ETH/USD"], seed=5)
    messages: list[Message] = []
    for tick in range(ticks):
        messages += market.step(10_000_000 + tick * period_us)
    return messages


def afresh(messages: list[Message], symbol: str, length: int) -> dict[int, dict[str, float]]:
    """Straight from the definition: OHLC of prices, v and n of trades, per bucket."""
    buckets: dict[int, dict[str, float]] = {}
    last = None
    for m in messages:
        if m["symbol"] != symbol or m["type"] not in ("price", "trade"):
            continue
        t = m["ts"] // length * length
        if m["type"] == "price":
            last = m["price"]
            b = buckets.setdefault(t, {"o": last, "h": last, "l": last, "c": last, "v": 0, "n": 0})
            b["h"], b["l"], b["c"] = max(b["h"], last), min(b["l"], last), last
        elif last is not None:
            b = buckets.setdefault(t, {"o": last, "h": last, "l": last, "c": last, "v": 0, "n": 0})
            b["v"] += m["size"]
            b["n"] += 1
    return buckets


def test_incremental_candles_match_the_definition() -> None:
    messages = stream(2000)
    book = CandleBook()
    seen: dict[tuple[str, str, int], Candle] = {}
    for message in messages:
        book.add(message)
        for key, candle in book.take_changed():
            seen[key] = candle.copy()
    for symbol in ("BTC/USD", "ETH/USD"):
        for name, length in INTERVALS.items():
            expected = afresh(messages, symbol, length)
            got = {t: c for (s, i, t), c in seen.items() if s == symbol and i == name}
            assert sorted(got) == sorted(expected)
            for t, want in expected.items():
                wire = got[t].as_wire()
                assert wire["t"] == t
                assert (wire["o"], wire["h"], wire["l"], wire["c"], wire["n"]) == (
                    want["o"],
                    want["h"],
                    want["l"],
                    want["c"],
                    want["n"],
                )
                assert abs(wire["v"] - want["v"]) < 1e-6


def test_a_trade_before_any_price_makes_no_candle_and_late_messages_are_counted() -> None:
    book = CandleBook({"1s": 1_000_000})
    book.add({"type": "trade", "symbol": "X", "price": 1.0, "size": 2.0, "side": "buy", "ts": 5})
    assert book.take_changed() == []
    book.add({"type": "price", "symbol": "X", "price": 10.0, "volume": 1, "ts": 2_500_000})
    book.add({"type": "price", "symbol": "X", "price": 11.0, "volume": 1, "ts": 1_900_000})
    assert book.late == 1
    book.add(
        {"type": "trade", "symbol": "X", "price": 1.0, "size": 2.0, "side": "buy", "ts": 3_100_000}
    )
    changed = dict(book.take_changed())
    flat = changed[("X", "1s", 3_000_000)]
    assert (flat.o, flat.h, flat.l, flat.c, flat.v, flat.n) == (10.0, 10.0, 10.0, 10.0, 2.0, 1)


def test_a_seeded_candle_continues_rather_than_restarts() -> None:
    book = CandleBook({"1m": 60_000_000})
    book.seed("X", "1m", Candle(60_000_000, 5.0, 9.0, 4.0, 6.0, 3.0, 2))
    book.add({"type": "price", "symbol": "X", "price": 7.0, "volume": 1, "ts": 61_000_000})
    ((_, candle),) = book.take_changed()
    assert (candle.o, candle.h, candle.l, candle.c, candle.v, candle.n) == (
        5.0,
        9.0,
        4.0,
        7.0,
        3.0,
        2,
    )
