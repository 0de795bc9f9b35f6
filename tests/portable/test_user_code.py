"""Indicators the user writes in Python: the documented form works, state lives in globals or
a class, errors show with their line, a slow bar pauses it, and none of it ever raises."""

from client.candles import Candle
from client.runtime import traceback_text
from client.user_code import ERROR, NONE, PAUSED, PENDING, RUNNING, UserIndicator, line_of


def bars(count):
    return [Candle(t, 1.0 + t, 2.0 + t, 0.5 + t, 1.5 + t, 10.0, 2) for t in range(count)]


class Clock:
    def __init__(self, step_us=1.0):
        self.now = 0.0
        self.step_us = step_us

    def __call__(self):
        self.now += self.step_us
        return self.now


def indicator(code, clock=None):
    user = UserIndicator(clock or Clock(), traceback_text)
    user.set_code(code)
    return user


def test_a_five_line_indicator_with_state_in_globals_plots_one_line():
    user = indicator(
        "total = 0.0\n"
        "count = 0\n"
        "def update(bar):\n"
        "    global total, count\n"
        "    total += bar.c; count += 1\n"
        "    return total / count\n"
    )
    assert user.state == PENDING  # shown, not run, until Run
    assert user.update(bars(1)[0]) is None
    history = user.run(bars(3))
    assert user.state == RUNNING
    assert history == [{"value": 1.5}, {"value": 2.0}, {"value": 2.5}]
    assert user.update(Candle(3, 0, 0, 0, 4.5, 1)) == {"value": 3.0}
    assert user.status() == {"state": RUNNING, "error": None, "last": {"value": 3.0}}


def test_a_class_may_keep_the_state_and_a_dict_plots_several_lines():
    user = indicator(
        "class Band:\n"
        "    def __init__(self):\n"
        "        self.last = None\n"
        "band = Band()\n"
        "def update(bar):\n"
        "    band.last = bar.c\n"
        "    return {'high': bar.h, 'low': bar.l}\n"
    )
    assert user.run(bars(2)) == [{"high": 2.0, "low": 0.5}, {"high": 3.0, "low": 1.5}]


def test_an_error_stops_it_with_its_line_and_trace_and_never_raises():
    user = indicator("def update(bar):\n    x = 1\n    return bar.c / 0\n")
    assert user.run(bars(2)) == [None]  # the replay stops at the error
    assert user.state == ERROR
    assert user.error is not None
    assert user.error["line"] == 3
    assert "ZeroDivisionError" in user.error["message"]
    assert "<indicator>" in user.error["trace"]
    assert user.update(bars(1)[0]) is None  # stopped: nothing more runs


def test_a_syntax_error_and_a_missing_update_are_explained():
    broken = indicator("def update(bar):\n    return (bar.c\n\n")
    assert broken.run(bars(1)) == []
    assert broken.state == ERROR
    assert broken.error is not None
    assert "SyntaxError" in broken.error["message"]
    assert broken.error["line"] in (2, 3, 4)  # where each Python says the bracket is open
    missing = indicator("x = 1\n")
    missing.run([])
    assert missing.state == ERROR
    assert missing.error is not None
    assert "define update(bar)" in missing.error["message"]


def test_a_bar_over_the_budget_pauses_it():
    user = UserIndicator(Clock(step_us=6_000.0), traceback_text, budget_us=5_000.0)
    user.set_code("def update(bar):\n    return bar.c\n")
    assert user.run(bars(2)) == [None]  # the replay stops at the first slow bar
    assert user.state == PAUSED
    assert user.error is not None
    assert "the budget is 5.0 ms" in user.error["message"]


def test_a_history_replay_over_its_budget_pauses_it_with_how_far_it_got():
    user = indicator("def update(bar):\n    return bar.c\n", Clock(step_us=400.0))
    values = user.run(bars(3000))  # each bar within its budget, the whole replay over 1 s
    assert user.state == PAUSED
    assert user.error is not None
    assert "replaying the history took over 1000 ms" in user.error["message"]
    assert 0 < len(values) < 3000
    assert "of 3000 bars" in user.error["message"]


def test_a_return_that_is_not_a_number_or_dict_of_numbers_is_an_error():
    for result in ("'text'", "[1, 2]", "{'a': 'b'}", "{1: 2.0}", "True"):
        user = indicator("def update(bar):\n    return " + result + "\n")
        user.run(bars(1))
        assert user.state == ERROR, result
        assert user.error is not None
        assert "update must return a number" in user.error["message"]


def test_empty_code_is_no_indicator_and_lines_are_read_from_traces():
    assert indicator("  \n").state == NONE
    trace = 'Traceback:\n  File "<indicator>", line 4, in update\n  File "x.py", line 9\n'
    assert line_of(trace) == 4
    assert line_of("no such line") is None
