"""The chart's model: history then live bars, indicators on closed bars only, alerts from the
selected symbol's prices, and the analytics() snapshot's shape."""

from client.analytics import MAX_BARS, TRIM_EVERY, Analytics
from client.user_code import UserIndicator
from tests.portable.check import expect_raises

SECOND = 1_000_000


def price(ts, value, symbol="BTC/USD"):
    return {"type": "price", "symbol": symbol, "price": value, "volume": 1, "ts": ts}


def drawn(model):
    """The model's next drawing; None only where a test asks for it (`take_drawing()`)."""
    drawing = model.take_drawing()
    assert drawing is not None
    return drawing


def bar(t, close):
    return {"t": t * SECOND, "o": close, "h": close + 1.0, "l": close - 1.0, "c": close, "v": 2.0,
            "n": 1}  # fmt: skip


def test_history_then_live_bars_close_in_order_and_feed_the_indicators():
    model = Analytics("BTC/USD", "1s", ("sma",))
    model.load([bar(t, float(t)) for t in range(1, 22)])  # 21 candles: 20 closed, 1 open
    assert [b.c for b in model.bars] == [float(t) for t in range(1, 21)]
    assert model.values["sma"] == sum(range(1, 21)) / 20
    model.apply(price(21 * SECOND + 500_000, 21.5))  # the open candle goes on
    assert len(model.bars) == 20
    model.apply(price(22 * SECOND + 1, 22.0))  # a new bucket closes the one before
    assert model.bars[-1].c == 21.5
    assert model.values["sma"] == (sum(range(2, 21)) + 21.5) / 20
    snapshot = model.snapshot()
    assert snapshot["symbol"] == "BTC/USD"
    assert snapshot["interval"] == "1s"
    assert snapshot["bars"] == 22
    assert snapshot["last_bar"] == {"t": 22 * SECOND, "o": 22.0, "h": 22.0, "l": 22.0, "c": 22.0,
                                    "v": 0.0}  # fmt: skip
    assert snapshot["indicators"] == {"sma": (sum(range(2, 21)) + 21.5) / 20}
    assert snapshot["user"] == {"state": "none", "error": None, "last": None}


def test_a_drawing_is_whole_after_a_load_then_only_what_changed():
    model = Analytics("BTC/USD", "1s", ("sma",))
    model.load([bar(t, float(t)) for t in range(1, 22)])
    whole = drawn(model)
    assert whole["reset"] is True
    assert len(whole["bars"]) == 21
    assert whole["lines"]["sma"] == [[20 * SECOND, sum(range(1, 21)) / 20]]
    assert model.take_drawing() is None  # nothing changed since
    model.apply(price(22 * SECOND, 30.0))
    part = drawn(model)
    assert part["reset"] is False
    assert [row[0] for row in part["bars"]] == [21 * SECOND, 22 * SECOND]  # closed, then open
    assert [point[0] for point in part["lines"]["sma"]] == [21 * SECOND]
    model.apply(price(22 * SECOND + 10, 31.0))
    assert drawn(model)["bars"] == [[22 * SECOND, 30.0, 31.0, 30.0, 31.0, 0.0]]


def test_history_that_overlaps_the_live_bars_gives_way_to_them():
    model = Analytics("BTC/USD", "1s")
    model.apply(price(5 * SECOND, 50.0))
    model.apply(price(6 * SECOND, 60.0))
    model.load([bar(t, float(t)) for t in range(1, 7)])  # 5 and 6 are live already
    assert [b.c for b in model.bars] == [1.0, 2.0, 3.0, 4.0, 50.0]
    assert model.open is not None
    assert model.open.c == 60.0


def test_adding_an_indicator_redraws_with_its_history():
    model = Analytics("BTC/USD", "1s")
    model.load([bar(t, float(t)) for t in range(1, 30)])
    drawn(model)
    model.set_indicators(("rsi", "bb"))
    drawing = drawn(model)
    assert drawing["reset"] is True
    assert sorted(drawing["lines"]) == ["bb.lower", "bb.middle", "bb.upper", "rsi"]
    assert len(drawing["lines"]["rsi"]) == 28 - 14


def test_the_users_indicator_replays_history_then_follows_live_bars():
    user = UserIndicator(lambda: 0.0, lambda error: "")
    model = Analytics("BTC/USD", "1s", (), None, user)
    model.load([bar(t, float(t)) for t in range(1, 6)])
    user.set_code("def update(bar):\n    return {'double': bar.c * 2}\n")
    assert user.state == "pending"
    drawn(model)
    model.run_user()
    drawing = drawn(model)
    assert drawing["lines"]["py.double"] == [[t * SECOND, 2.0 * t] for t in range(1, 5)]
    model.apply(price(6 * SECOND, 6.0))
    assert drawn(model)["lines"]["py.double"] == [[5 * SECOND, 10.0]]
    assert model.snapshot()["user"] == {"state": "running", "error": None, "last": {"double": 10.0}}
    model.set_indicators(("sma",))  # a rerun runs the user's code afresh too
    assert len(drawn(model)["lines"]["py.double"]) == 5


def test_other_symbols_and_message_types_leave_the_chart_alone():
    model = Analytics("BTC/USD")
    model.apply(price(SECOND, 10.0, "ETH/USD"))
    model.apply({"type": "book", "symbol": "BTC/USD", "bids": [], "asks": [], "ts": SECOND})
    assert model.snapshot()["bars"] == 0
    assert model.snapshot()["last_bar"] is None


def test_alerts_fire_from_any_symbols_prices():
    model = Analytics("BTC/USD")
    model.alerts.add("ETH/USD", 10.0, 12.0)
    assert [alert.direction for alert in model.apply(price(SECOND, 9.5, "ETH/USD"))] == ["below"]
    assert model.snapshot()["bars"] == 0  # the chart shows BTC/USD still


def test_a_long_run_keeps_a_bounded_chart():
    model = Analytics("BTC/USD", "1s", ("sma",))
    for t in range(MAX_BARS + TRIM_EVERY + 2):
        model.apply(price(t * SECOND, 100.0 + t % 7))
    assert len(model.bars) <= MAX_BARS + TRIM_EVERY
    assert len(model.lines["sma"]) <= len(model.bars)
    assert drawn(model)["reset"] is True


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
