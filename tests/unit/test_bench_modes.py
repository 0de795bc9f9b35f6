"""The benchmark's batch modes, with and without the chart (issue 21's analytics-on dimension)."""

import argparse

import pytest

from bench.cli import modes
from bench.modes import mode_url, variant


def test_a_chart_mode_opens_the_chart_with_two_indicators_and_others_turn_it_off() -> None:
    base = "http://127.0.0.1:1/?engine=py"
    assert mode_url(base, "auto+chart") == (
        base + "&batch=auto&symbol=BTC/USD&interval=1s&indicators=sma,ema"
    )
    assert mode_url(base, "16") == base + "&batch=16&chart=off"
    assert variant("js", "auto+chart") == "js+auto+chart"


def test_the_command_line_takes_chart_modes_and_refuses_others() -> None:
    assert modes("0,auto,auto+chart") == ("0", "auto", "auto+chart")
    with pytest.raises(argparse.ArgumentTypeError, match="chart"):
        modes("auto+charts")
