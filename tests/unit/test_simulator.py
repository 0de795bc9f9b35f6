"""The seeded market: message shapes and ranges, determinism, rates, books, volatility."""

import itertools
import math
import statistics
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.simulator import Market, default_symbols

PRICE_FIELDS = {"type", "symbol", "price", "volume", "ts"}
TRADE_FIELDS = {"type", "symbol", "price", "size", "side", "ts"}
BOOK_FIELDS = {"type", "symbol", "bids", "asks", "ts"}
TS0 = 1_700_000_000_000_000  # µs
TICK_US = 50_000


def run(market: Market, steps: int) -> list[list[dict[str, Any]]]:
    return [market.step(TS0 + i * TICK_US) for i in range(steps)]


def of_type(messages: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [m for m in messages if m["type"] == kind]


@pytest.fixture
def market() -> Market:
    return Market(default_symbols(8), seed=42)


def test_messages_have_exactly_the_reference_fields_and_no_seq(market: Market) -> None:
    seen: Counter[str] = Counter()
    for messages in run(market, 50):
        for message in messages:
            expected = {"price": PRICE_FIELDS, "trade": TRADE_FIELDS, "book": BOOK_FIELDS}
            assert set(message) == expected[message["type"]]
            seen[message["type"]] += 1
    assert set(seen) == {"price", "trade", "book"}


def test_messages_carry_the_step_timestamp_and_a_market_symbol(market: Market) -> None:
    for i, messages in enumerate(run(market, 20)):
        for message in messages:
            assert message["ts"] == TS0 + i * TICK_US
            assert message["symbol"] in market.symbols


def test_price_volume_is_an_integer_from_100_to_10000(market: Market) -> None:
    volumes = [m["volume"] for step in run(market, 500) for m in of_type(step, "price")]
    assert all(type(v) is int and 100 <= v <= 10_000 for v in volumes)
    # the whole range is used, not a corner of it
    assert min(volumes) < 1000
    assert max(volumes) > 9000


def test_trade_size_is_from_0_01_to_5_and_side_is_buy_or_sell(market: Market) -> None:
    trades = [m for step in run(market, 500) for m in of_type(step, "trade")]
    assert all(0.01 <= t["size"] <= 5.0 for t in trades)
    assert {t["side"] for t in trades} == {"buy", "sell"}


def test_trade_prints_within_0_1_pct_of_the_market_price(market: Market) -> None:
    for _ in range(500):
        for trade in of_type(market.step(TS0), "trade"):
            reference = market.price_of(trade["symbol"])
            assert abs(trade["price"] - reference) <= 0.001 * reference


def test_same_seed_gives_identical_messages() -> None:
    first = run(Market(default_symbols(8), seed=7), 500)
    second = run(Market(default_symbols(8), seed=7), 500)
    assert first == second


def test_different_seeds_give_different_messages() -> None:
    assert run(Market(default_symbols(8), seed=7), 50) != run(
        Market(default_symbols(8), seed=8), 50
    )


def test_synthetic_symbols_start_at_the_same_price_for_the_same_seed() -> None:
    names = default_symbols(30)
    assert run(Market(names, seed=3), 5) == run(Market(names, seed=3), 5)


def test_eight_symbols_give_one_price_each_per_step_and_exact_trade_and_book_rates() -> None:
    market = Market(default_symbols(8), seed=1)
    counts: Counter[str] = Counter()
    for messages in run(market, 1000):
        prices = of_type(messages, "price")
        assert sorted(m["symbol"] for m in prices) == sorted(market.symbols)
        counts.update(m["type"] for m in messages)
    assert counts == {"price": 8000, "trade": 2000, "book": 4000}


@pytest.mark.parametrize("count", [1, 3, 5])
def test_trades_and_books_follow_a_quarter_and_a_half_of_the_price_rate(count: int) -> None:
    counts = Counter(
        m["type"] for step in run(Market(default_symbols(count), seed=1), 1000) for m in step
    )
    assert counts["price"] == 1000 * count
    assert abs(counts["trade"] - counts["price"] / 4) <= 1
    assert abs(counts["book"] - counts["price"] / 2) <= 1


@pytest.mark.parametrize("count", [1, 3, 8])
def test_books_cover_every_symbol_evenly(count: int) -> None:
    books = Counter(
        m["symbol"]
        for step in run(Market(default_symbols(count), seed=1), 400)
        for m in of_type(step, "book")
    )
    assert set(books) == set(default_symbols(count))
    assert max(books.values()) - min(books.values()) <= 1


def check_book(book: dict[str, Any], last_price: float) -> None:
    bids, asks = book["bids"], book["asks"]
    assert len(bids) == 5
    assert len(asks) == 5
    for level in bids + asks:
        assert len(level) == 2
        assert 0.01 <= level[1] <= 5.0
    bid_prices = [level[0] for level in bids]
    ask_prices = [level[0] for level in asks]
    assert all(a > b for a, b in itertools.pairwise(bid_prices)), bid_prices
    assert all(a < b for a, b in itertools.pairwise(ask_prices)), ask_prices
    assert bid_prices[-1] > 0
    assert bid_prices[0] < last_price < ask_prices[0], (bid_prices[0], last_price, ask_prices[0])
    # the touch sits close to the market, not somewhere else
    assert ask_prices[0] - bid_prices[0] <= 0.002 * last_price


@settings(max_examples=40)
@given(
    seed=st.integers(min_value=0, max_value=2**64),
    count=st.integers(min_value=1, max_value=24),
    steps=st.integers(min_value=1, max_value=300),
)
def test_books_are_ordered_and_straddle_the_last_published_price(
    seed: int, count: int, steps: int
) -> None:
    market = Market(default_symbols(count), seed=seed)
    last: dict[str, float] = {}
    books = 0
    for messages in run(market, steps):
        for message in messages:
            if message["type"] == "price":
                last[message["symbol"]] = message["price"]
            elif message["type"] == "book":
                check_book(message, last[message["symbol"]])
                books += 1
    assert books >= count * steps // 2 - 1


@settings(max_examples=10)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    names=st.lists(
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ/", min_size=1, max_size=8),
        min_size=1,
        max_size=6,
        unique=True,
    ),
)
def test_books_of_arbitrary_symbols_are_ordered_and_straddle_the_price(
    seed: int, names: list[str]
) -> None:
    market = Market(names, seed=seed)
    last: dict[str, float] = {}
    for messages in run(market, 200):
        for message in messages:
            if message["type"] == "price":
                last[message["symbol"]] = message["price"]
            elif message["type"] == "book":
                check_book(message, last[message["symbol"]])


@pytest.mark.parametrize("fall", [10.0, 100.0, 1_000.0])
def test_books_stay_ordered_after_the_price_falls_far_below_its_start(fall: float) -> None:
    # Decimals are fixed at the start, so a crashed price has few ticks between levels.
    market = Market(["BTC/USD"], seed=11)
    market.instruments[0].price /= fall
    last = 0.0
    for messages in run(market, 400):
        for message in messages:
            if message["type"] == "price":
                last = message["price"]
            elif message["type"] == "book":
                check_book(message, last)


def test_price_random_walk_has_0_2_pct_volatility_per_tick() -> None:
    market = Market(["BTC/USD"], seed=2024)
    prices = [of_type(step, "price")[0]["price"] for step in run(market, 10_000)]
    returns = [math.log(b / a) for a, b in itertools.pairwise(prices)]
    assert 0.0015 <= statistics.pstdev(returns) <= 0.0025
    assert abs(statistics.fmean(returns)) < 0.0002


def test_prices_start_near_the_known_pairs_levels() -> None:
    step = Market(default_symbols(3), seed=5).step(TS0)
    first = {m["symbol"]: m["price"] for m in of_type(step, "price")}
    assert first["BTC/USD"] == pytest.approx(45000.0, rel=0.02)
    assert first["ETH/USD"] == pytest.approx(2500.0, rel=0.02)
    assert first["SOL/USD"] == pytest.approx(100.0, rel=0.02)


def test_default_eight_symbols_are_distinct_and_start_with_the_known_pairs() -> None:
    names = default_symbols(8)
    assert len(names) == 8
    assert len(set(names)) == 8
    assert {"BTC/USD", "ETH/USD", "SOL/USD"} <= set(names)
    assert default_symbols() == names


@pytest.mark.parametrize("count", [1, 16, 17, 20, 1000])
def test_default_symbols_of_any_allowed_count_are_distinct(count: int) -> None:
    names = default_symbols(count)
    assert len(names) == count
    assert len(set(names)) == count
    assert all(name for name in names)


@pytest.mark.parametrize("count", [0, -1, 1001])
def test_default_symbols_refuse_counts_outside_1_to_1000(count: int) -> None:
    with pytest.raises(ValueError, match="1000"):
        default_symbols(count)


def test_market_refuses_duplicate_symbols() -> None:
    with pytest.raises(ValueError, match="distinct"):
        Market(["BTC/USD", "ETH/USD", "BTC/USD"], seed=1)


def test_market_refuses_an_empty_symbol_list() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Market([], seed=1)
