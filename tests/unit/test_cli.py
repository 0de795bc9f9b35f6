"""`python -m server` arguments: good ones parse, bad ones end with one actionable line."""

import pytest

from server.cli import parser
from server.simulator import default_symbols


def test_port_0_asks_for_a_free_port() -> None:
    assert parser().parse_args(["--port", "0"]).port == 0


def test_defaults_are_the_documented_ones() -> None:
    args = parser().parse_args([])
    assert args.host == "127.0.0.1"
    assert args.frequency_ms == 50
    assert args.symbols == tuple(default_symbols(8))
    assert args.seed is None


@pytest.mark.parametrize("frequency", ["10", "50", "1000"])
def test_frequency_inside_10_to_1000_ms_is_accepted(frequency: str) -> None:
    assert parser().parse_args(["--frequency-ms", frequency]).frequency_ms == int(frequency)


def test_symbol_count_gives_that_many_default_symbols() -> None:
    assert parser().parse_args(["--symbols", "3"]).symbols == tuple(default_symbols(3))


def test_symbol_list_gives_those_symbols() -> None:
    assert parser().parse_args(["--symbols", "BTC/USD,ETH/USD"]).symbols == ("BTC/USD", "ETH/USD")


def test_spaces_around_listed_symbols_are_ignored() -> None:
    assert parser().parse_args(["--symbols", " BTC/USD , ETH/USD "]).symbols == (
        "BTC/USD",
        "ETH/USD",
    )


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["--port", "70000"], "--port"),
        (["--port", "-1"], "--port"),
        (["--port", "abc"], "--port"),
        (["--frequency-ms", "5"], "--frequency-ms"),
        (["--frequency-ms", "9"], "--frequency-ms"),
        (["--frequency-ms", "1001"], "--frequency-ms"),
        (["--frequency-ms", "abc"], "--frequency-ms"),
        (["--symbols", "0"], "--symbols"),
        (["--symbols", "1001"], "--symbols"),
        (["--symbols", "A,,B"], "--symbols"),
        (["--symbols", ""], "--symbols"),
        (["--symbols", "A,A"], "--symbols"),
        (["--log-level", "loud"], "--log-level"),
        (["--no-such-option"], "--no-such-option"),
    ],
)
def test_bad_argument_exits_2_with_one_line_naming_the_option(
    argv: list[str], option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        parser().parse_args(argv)
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.endswith("\n")
    assert captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith("python -m server: error: ")
    assert option in captured.err
    assert "Traceback" not in captured.err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--port", "70000"], "from 0 to 65535, got 70000"),
        (["--frequency-ms", "5"], "from 10 to 1000 ms, got 5"),
        (["--symbols", "A,,B"], "empty symbol name"),
        (["--symbols", "A,A"], "distinct"),
        (["--symbols", "0"], "from 1 to 1000"),
    ],
)
def test_bad_argument_message_says_what_is_allowed(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(argv)
    assert said in capsys.readouterr().err
