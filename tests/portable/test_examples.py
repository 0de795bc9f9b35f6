"""The code panel's worked examples run as a user's indicator, in every engine, and plot."""

from client.candles import Candle
from client.examples import EXAMPLES
from client.user_code import UserIndicator


def bars(count):
    return [
        Candle(t * 1_000_000, 100.0 + t % 9, 101.0 + t % 9, 99.0 + t % 9, 100.5 + t % 7, 1.0, 1)
        for t in range(count)
    ]


def test_every_example_runs_and_plots_a_line_per_value():
    for name, _, code in EXAMPLES:
        user = UserIndicator(lambda: 0.0, lambda error: "")
        user.set_code(code)
        values = user.run(bars(60))
        assert user.state == "running", (name, user.error)
        assert values[-1] is not None, name
        assert user.update(bars(61)[-1]) is not None, name
        for value in values[-1].values():
            assert 90.0 < value < 120.0, (name, value)  # on the price's own scale
