"""The built-in indicators against talipp (an established incremental library) on a recorded
market: every value, bar by bar, within a relative 1e-9."""

import math
from pathlib import Path

import pytest
import talipp.indicators as reference
from talipp.ohlcv import OHLCV

from client import indicators
from client.candles import Candle, CandleBook
from server.recording import Recording

RECORDING = Path(__file__).resolve().parents[1] / "fixtures" / "recordings" / "sim-btc-eth"
BAR_US = 200_000  # 0.2 s bars: the 20 s recording gives about 100 of them
TOLERANCE = 1e-9


def recorded_bars(symbol: str = "BTC/USD") -> list[Candle]:
    book = CandleBook({"bar": BAR_US})
    bars: dict[int, Candle] = {}
    for _, _, message in Recording(RECORDING).records():
        if message.get("symbol") == symbol:
            book.add(message)
            for (_, _, t), candle in book.take_changed():
                bars[t] = candle
    closed = [bars[t] for t in sorted(bars)][:-1]  # the last one was still open
    assert len(closed) > 80
    return closed


def close(ours: float | None, theirs: float | None) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    return math.isclose(ours, theirs, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def compare(ours: object, theirs: list[float | None], bars: list[Candle]) -> None:
    for index, bar in enumerate(bars):
        value = ours.update(bar)  # type: ignore[attr-defined]
        assert close(value, theirs[index]), (index, value, theirs[index])


@pytest.mark.parametrize("period", [5, 14, 20])
def test_sma_ema_and_rsi_match_talipp(period: int) -> None:
    bars = recorded_bars()
    closes = [bar.c for bar in bars]
    compare(indicators.SMA(period), list(reference.SMA(period, closes)), bars)
    compare(indicators.EMA(period), list(reference.EMA(period, closes)), bars)
    compare(indicators.RSI(period), list(reference.RSI(period, closes)), bars)


def test_vwap_matches_talipp() -> None:
    bars = recorded_bars("ETH/USD")
    ohlcv = [OHLCV(bar.o, bar.h, bar.l, bar.c, bar.v) for bar in bars]
    compare(indicators.VWAP(), list(reference.VWAP(ohlcv)), bars)


@pytest.mark.parametrize(("period", "width"), [(20, 2.0), (10, 1.5)])
def test_bollinger_bands_match_talipp(period: int, width: float) -> None:
    bars = recorded_bars()
    theirs = list(reference.BB(period, width, [bar.c for bar in bars]))
    ours = indicators.Bollinger(period, width)
    for index, bar in enumerate(bars):
        value = ours.update(bar)
        expected = theirs[index]
        if expected is None:
            assert value is None
            continue
        assert value is not None
        assert close(value["lower"], expected.lb)
        assert close(value["middle"], expected.cb)
        assert close(value["upper"], expected.ub)


def test_long_runs_do_not_drift() -> None:
    """A million bars of a wandering price: the windowed sums are summed afresh each window."""
    ours = indicators.SMA(20)
    last: list[float] = []
    price = 45_000.0
    for step in range(1_000_000):
        price += math.sin(step) * 7.3
        bar = Candle(step, price, price, price, price)
        value = ours.update(bar)
        last = [*last, price][-20:]
    assert value is not None
    assert math.isclose(value, sum(last) / 20, rel_tol=1e-12)


def test_indicators_by_name() -> None:
    assert sorted(indicators.BUILT_IN) == ["bb", "ema", "rsi", "sma", "vwap"]
    assert isinstance(indicators.indicator("sma"), indicators.SMA)
    with pytest.raises(ValueError, match="no indicator 'macd'; the built-in ones are bb, ema"):
        indicators.indicator("macd")
