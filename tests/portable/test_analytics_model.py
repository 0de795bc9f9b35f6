"""The chart's model: history then live bars, indicators on closed bars only, alerts from the
selected symbol's prices, and the analytics() snapshot's shape."""

from client.analytics import Analytics
from client.indicators import SMA
from tests.portable.check import expect_raises

SECOND = 1_000_000


def price(ts, value, symbol="BTC/USD"):
    return {"type": "price", "symbol": symbol, "price": value, "volume": 1, "ts": ts}


def test_history_then_live_bars_close_in_order_and_feed_the_indicators():
    model = Analytics("BTC/USD", "1s", ("sma",))
    model.indicators["sma"] = SMA(2)
    history = [
        {"t": t * SECOND, "o": 1.0, "h": 2.0, "l": 0.5, "c": float(t), "v": 1.0, "n": 1}
        for t in (1, 2, 3)
    ]
    model.load(history)
    assert [bar.c for bar in model.bars] == [1.0, 2.0]  # the newest candle is still open
    assert model.values["sma"] == 1.5
    model.apply(price(3 * SECOND + 500_000, 3.5))  # the open candle goes on
    assert len(model.bars) == 2
    model.apply(price(4 * SECOND + 1, 4.0))  # a new bucket closes the one before
    assert [bar.c for bar in model.bars] == [1.0, 2.0, 3.5]
    assert model.values["sma"] == (2.0 + 3.5) / 2
    snapshot = model.snapshot()
    assert snapshot["symbol"] == "BTC/USD"
    assert snapshot["interval"] == "1s"
    assert snapshot["bars"] == 4
    assert snapshot["last_bar"] == {"t": 4 * SECOND, "o": 4.0, "h": 4.0, "l": 4.0, "c": 4.0,
                                    "v": 0.0}  # fmt: skip
    assert snapshot["indicators"] == {"sma": 2.75}
    assert snapshot["user"] == {"state": "none", "error": None, "last": None}


def test_other_symbols_and_message_types_leave_the_chart_alone():
    model = Analytics("BTC/USD")
    model.apply(price(SECOND, 10.0, "ETH/USD"))
    model.apply({"type": "book", "symbol": "BTC/USD", "bids": [], "asks": [], "ts": SECOND})
    assert model.snapshot()["bars"] == 0
    assert model.snapshot()["last_bar"] is None


def test_alerts_fire_from_the_selected_symbols_prices():
    model = Analytics("BTC/USD")
    model.apply(price(SECOND, 100.0))
    model.alerts.add("BTC/USD", 105.0, 100.0)
    assert model.apply(price(2 * SECOND, 104.0)) == []
    fired = model.apply(price(3 * SECOND, 106.0))
    assert [alert.price for alert in fired] == [105.0]
    assert model.snapshot()["alerts"] == [
        {"symbol": "BTC/USD", "price": 105.0, "direction": "above", "fired": 1}
    ]


def test_an_unknown_interval_or_indicator_is_refused():
    expect_raises(ValueError, Analytics, "BTC/USD", "2s")
    expect_raises(ValueError, Analytics, "BTC/USD", "1s", ("macd",))
