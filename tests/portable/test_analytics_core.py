"""Candles and the built-in indicators, run unchanged under CPython, Pyodide and MicroPython:
each incremental indicator agrees with its definition computed afresh from the bars so far."""

import math

from client.candles import Candle, CandleBook
from client.indicators import EMA, RSI, SMA, VWAP, Bollinger, indicator
from tests.portable.check import expect_raises

TOLERANCE = 1e-9


def bars(count):
    made = []
    price = 100.0
    for step in range(count):
        opening = price
        price = price * (1.0 + 0.01 * math.sin(step * 1.7) + 0.004 * math.cos(step * 0.3))
        high = max(opening, price) * 1.002
        low = min(opening, price) * 0.998
        made.append(Candle(step * 1_000_000, opening, high, low, price, 0.5 + (step % 7), 3))
    return made


def near(a, b):
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b))


def test_candles_aggregate_prices_and_trades():
    book = CandleBook({"1s": 1_000_000})
    for ts, price in ((1_000_000, 10.0), (1_400_000, 12.0), (1_900_000, 9.0)):
        book.add({"type": "price", "symbol": "X", "price": price, "volume": 1, "ts": ts})
    book.add({"type": "trade", "symbol": "X", "price": 9.5, "size": 0.25, "side": "buy",
              "ts": 1_950_000})  # fmt: skip
    book.add({"type": "price", "symbol": "X", "price": 11.0, "volume": 1, "ts": 2_100_000})
    changed = sorted((key[2], candle.as_wire()) for key, candle in book.take_changed())
    assert changed[0] == (1_000_000, {"t": 1_000_000, "o": 10.0, "h": 12.0, "l": 9.0, "c": 9.0,
                                      "v": 0.25, "n": 1})  # fmt: skip
    assert changed[1][1]["o"] == 11.0


def test_sma_and_bollinger_are_their_definitions():
    series = bars(120)
    for period in (1, 5, 20):
        sma = SMA(period)
        bands = Bollinger(period, 2.0)
        for index, bar in enumerate(series):
            got = sma.update(bar)
            band = bands.update(bar)
            if index + 1 < period:
                assert got is None
                assert band is None
                continue
            closes = [b.c for b in series[index + 1 - period : index + 1]]
            mean = sum(closes) / period
            deviation = math.sqrt(sum((c - mean) ** 2 for c in closes) / period)
            assert near(got, mean)
            assert band is not None
            assert near(band["middle"], mean)
            assert near(band["upper"], mean + 2.0 * deviation)
            assert near(band["lower"], mean - 2.0 * deviation)


def test_ema_is_seeded_by_the_sma_then_smoothed():
    series = bars(60)
    ema = EMA(10)
    expected = None
    for index, bar in enumerate(series):
        got = ema.update(bar)
        if index < 9:
            assert got is None
            continue
        if expected is None:
            expected = sum(b.c for b in series[:10]) / 10
        else:
            expected = 2.0 / 11.0 * bar.c + (1.0 - 2.0 / 11.0) * expected
        assert near(got, expected)


def test_vwap_is_cumulative_typical_price_by_volume():
    series = bars(40)
    vwap = VWAP()
    for index, bar in enumerate(series):
        got = vwap.update(bar)
        seen = series[: index + 1]
        expected = sum(b.v * (b.h + b.l + b.c) / 3.0 for b in seen) / sum(b.v for b in seen)
        assert near(got, expected)


def test_rsi_is_wilders():
    series = bars(80)
    period = 14
    rsi = RSI(period)
    gains = []
    losses = []
    average_gain = average_loss = 0.0
    for index, bar in enumerate(series):
        got = rsi.update(bar)
        if index == 0:
            assert got is None
            continue
        change = bar.c - series[index - 1].c
        gains.append(max(change, 0.0))
        losses.append(max(-change, 0.0))
        if len(gains) < period:
            assert got is None
            continue
        if len(gains) == period:
            average_gain, average_loss = sum(gains) / period, sum(losses) / period
        else:
            average_gain = (average_gain * (period - 1) + gains[-1]) / period
            average_loss = (average_loss * (period - 1) + losses[-1]) / period
        expected = (
            100.0 if average_loss == 0 else 100.0 - 100.0 / (1.0 + average_gain / average_loss)
        )
        assert near(got, expected)


def test_an_unknown_indicator_names_the_built_in_ones():
    assert isinstance(indicator("rsi"), RSI)
    expect_raises(ValueError, indicator, "macd")
