"""Pure view functions: sparkline points by the reference formula, and the page's text."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from client.protocol import BOOK_DEPTH, price_decimals
from client.texts import (
    book_spread,
    change_direction,
    depth_scale,
    format_change,
    format_clock,
    format_number,
    format_price,
    format_volume,
    full_ladder,
    ladder_fields,
    ladder_levels,
    sparkline_points,
)

MINUS = "\u2212"
PLACEHOLDER = "\u2014"


def reference_points(data: list[float], width: float, height: float) -> str:
    """The reference spec's sparkline_points, transcribed from its Rust."""
    low = min(data)
    high = max(data)
    value_range = 1.0 if abs(high - low) < 1e-9 else high - low
    points = []
    for i, v in enumerate(data):
        x = (width / (len(data) - 1)) * i
        y = height - ((v - low) / value_range) * height
        points.append(f"{x:.1f},{y:.1f}")
    return " ".join(points)


FINITE = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
SIZES = st.floats(min_value=1.0, max_value=2000.0)


@given(st.lists(FINITE, min_size=2, max_size=300), SIZES, SIZES)
def test_sparkline_points_match_the_reference_formula(
    data: list[float], width: float, height: float
) -> None:
    assert sparkline_points(data, width, height) == reference_points(data, width, height)


@given(st.lists(st.floats(min_value=1e-3, max_value=1e5), min_size=2, max_size=300))
def test_sparkline_points_with_default_size_match_the_reference(data: list[float]) -> None:
    assert sparkline_points(data) == reference_points(data, 240.0, 56.0)


@given(st.lists(FINITE, min_size=2, max_size=300), SIZES, SIZES)
def test_sparkline_has_one_point_per_value_inside_the_box(
    data: list[float], width: float, height: float
) -> None:
    points = [
        tuple(map(float, p.split(","))) for p in sparkline_points(data, width, height).split()
    ]
    assert len(points) == len(data)
    assert points[0][0] == 0.0
    assert abs(points[-1][0] - width) <= 0.051
    assert all(-0.05 <= y <= height + 0.05 for _, y in points)


def test_sparkline_of_a_rising_series() -> None:
    assert sparkline_points([1.0, 2.0, 3.0], 240.0, 56.0) == "0.0,56.0 120.0,28.0 240.0,0.0"


def test_sparkline_of_a_falling_series() -> None:
    assert sparkline_points([10.0, 5.0], 100.0, 20.0) == "0.0,0.0 100.0,20.0"


@given(st.floats(min_value=-1e6, max_value=1e6), st.integers(min_value=2, max_value=50))
def test_flat_series_lies_on_the_bottom_edge(value: float, count: int) -> None:
    points = sparkline_points([value] * count, 240.0, 56.0).split()
    assert [p.split(",")[1] for p in points] == ["56.0"] * count


def test_series_flatter_than_1e_9_lies_on_the_bottom_edge() -> None:
    assert sparkline_points([5.0, 5.0 + 1e-10, 5.0], 10.0, 4.0) == "0.0,4.0 5.0,4.0 10.0,4.0"


def test_empty_series_has_no_points() -> None:
    assert sparkline_points([], 240.0, 56.0) == ""


@pytest.mark.parametrize("value", [0.0, 42.5, -3.0])
def test_single_value_sits_at_the_origin_on_the_bottom_edge(value: float) -> None:
    assert sparkline_points([value], 240.0, 56.0) == "0.0,56.0"


@pytest.mark.parametrize(
    ("price", "shown"),
    [
        (45123.4, "45,123.40"),
        (2501.23, "2,501.23"),
        (1234567.891, "1,234,567.89"),
        (999.5, "999.500"),
        (100.0, "100.000"),
        (7.5, "7.50000"),
        (0.456789, "0.456789"),
        (0.08, "0.0800000"),
        (None, PLACEHOLDER),
    ],
)
def test_format_price_groups_thousands_and_keeps_six_significant_digits(
    price: float | None, shown: str
) -> None:
    assert format_price(price) == shown


@given(st.floats(min_value=1e-4, max_value=1e12))
def test_format_price_shows_the_price_with_its_decimals(price: float) -> None:
    shown = format_price(price)
    assert re.fullmatch(r"\d{1,3}(,\d{3})*\.\d+", shown), shown
    whole, fraction = shown.split(".")
    assert len(fraction) == price_decimals(price)
    assert whole.replace(",", "") + "." + fraction == f"{price:.{price_decimals(price)}f}"


@pytest.mark.parametrize(
    ("pct", "shown"),
    [
        (1.234, "+1.23%"),
        (-1.234, MINUS + "1.23%"),
        (12.5, "+12.50%"),
        (0.0, "0.00%"),
        (-0.0, "0.00%"),
        (0.004, "0.00%"),
        (-0.004, "0.00%"),
        (0.005001, "+0.01%"),
        (None, PLACEHOLDER),
    ],
)
def test_format_change_signs_with_plus_or_a_real_minus(pct: float | None, shown: str) -> None:
    assert format_change(pct) == shown
    assert "-" not in format_change(pct)


@pytest.mark.parametrize(
    ("pct", "direction"),
    [(1.0, "up"), (-1.0, "down"), (0.0, "flat"), (0.004, "flat"), (-0.004, "flat"), (None, "flat")],
)
def test_change_direction(pct: float | None, direction: str) -> None:
    assert change_direction(pct) == direction


@given(st.floats(min_value=-1e6, max_value=1e6))
def test_change_direction_agrees_with_the_shown_sign(pct: float) -> None:
    shown = format_change(pct)
    expected = {"+": "up", MINUS: "down"}.get(shown[0], "flat")
    assert change_direction(pct) == expected
    if expected == "flat":
        assert shown == "0.00%"


@pytest.mark.parametrize(
    ("volume", "shown"),
    [
        (0, "0"),
        (100, "100"),
        (999, "999"),
        (1000, "1,000"),
        (10_000, "10,000"),
        (1_234_567, "1,234,567"),
        (None, PLACEHOLDER),
    ],
)
def test_format_volume_groups_thousands(volume: int | None, shown: str) -> None:
    assert format_volume(volume) == shown


@given(st.integers(min_value=0, max_value=10**15))
def test_format_volume_matches_python_grouping(volume: int) -> None:
    assert format_volume(volume) == f"{volume:,}"


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def clock_by_datetime(ts_us: int) -> str:
    moment = EPOCH + timedelta(microseconds=ts_us)
    return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def test_format_clock_of_a_known_moment() -> None:
    moment = datetime(2024, 3, 9, 13, 5, 7, 123_999, tzinfo=UTC)
    ts_us = (moment - EPOCH) // timedelta(microseconds=1)
    assert format_clock(ts_us) == "13:05:07.123"
    assert format_clock(0) == "00:00:00.000"


@given(st.integers(min_value=0, max_value=4_102_444_800_000_000))  # up to 2100-01-01
def test_format_clock_is_the_utc_time_of_day_in_milliseconds(ts_us: int) -> None:
    assert format_clock(ts_us) == clock_by_datetime(ts_us)


@pytest.mark.parametrize(
    ("size", "largest", "scale"),
    [
        (5.0, 10.0, "scaleX(0.500)"),
        (10.0, 10.0, "scaleX(1.000)"),
        (20.0, 10.0, "scaleX(1.000)"),
        (0.0, 10.0, "scaleX(0.000)"),
        (1.0, 3.0, "scaleX(0.333)"),
        (1.0, 0.0, "scaleX(0)"),
        (1.0, -2.0, "scaleX(0)"),
    ],
)
def test_depth_is_the_share_of_the_largest_level_clamped(
    size: float, largest: float, scale: str
) -> None:
    assert depth_scale(size, largest) == scale


@given(st.floats(min_value=0.0, max_value=1e6), st.floats(min_value=1e-6, max_value=1e6))
def test_depth_is_always_between_0_and_1(size: float, largest: float) -> None:
    shown = depth_scale(size, largest)
    assert shown.startswith("scaleX(")
    assert 0.0 <= float(shown[len("scaleX(") : -1]) <= 1.0


LEVEL_PRICES = st.one_of(
    st.floats(min_value=1e-4, max_value=1e7, allow_nan=False, allow_infinity=False),
    st.floats(min_value=990.0, max_value=1010.0),  # where plain prices end and grouped begin
    st.floats(min_value=45_990.0, max_value=46_010.0),  # around a thousand
    st.floats(min_value=998_000.0, max_value=1_001_000.0),  # where one separator ends
)
LEVEL_SIZES = st.floats(min_value=1e-4, max_value=1e3)


@given(
    st.lists(LEVEL_PRICES, min_size=2 * BOOK_DEPTH, max_size=2 * BOOK_DEPTH, unique=True),
    st.lists(LEVEL_SIZES, min_size=2 * BOOK_DEPTH, max_size=2 * BOOK_DEPTH),
)
def test_a_whole_ladder_at_once_shows_what_its_cells_would(
    prices: list[float], sizes: list[float]
) -> None:
    ordered = sorted(prices)
    book = {
        "bids": [
            [p, s] for p, s in zip(ordered[:BOOK_DEPTH][::-1], sizes[:BOOK_DEPTH], strict=True)
        ],
        "asks": [[p, s] for p, s in zip(ordered[BOOK_DEPTH:], sizes[BOOK_DEPTH:], strict=True)],
    }
    ladder = full_ladder(book)
    assert ladder is not None
    layout, arguments = ladder
    at_once = "\u001f".join(ladder_fields(layout)).format(*arguments).split("\u001f")
    one_by_one = [text for row in ladder_levels(book) for text in row] + [book_spread(book)]
    assert at_once == one_by_one


NEAR_SEPARATORS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=998.0, max_value=1001.0),  # where the first separator comes
    st.floats(min_value=998_990.0, max_value=1_000_010.0),  # where the second does
    st.floats(min_value=-1001.0, max_value=-998.0),
)


@pytest.mark.parametrize(
    ("value", "decimals", "shown"),
    [
        (999.6, 0, "1,000"),
        (999.4, 0, "999"),
        (999.996, 2, "1,000.00"),
        (45_999.996, 2, "46,000.00"),
        (998_999.9996, 3, "999,000.000"),
        (999_999.6, 0, "1,000,000"),
        (1_000.0, 0, "1,000"),
        (-999.6, 0, MINUS + "1,000"),
    ],
)
def test_format_number_carries_into_the_next_group(value: float, decimals: int, shown: str) -> None:
    assert format_number(value, decimals) == shown


@given(NEAR_SEPARATORS, st.integers(min_value=0, max_value=8))
def test_format_number_is_pythons_grouping_with_a_real_minus(value: float, decimals: int) -> None:
    expected = f"{abs(value):,.{decimals}f}"
    if value < 0 and expected.strip("0.,") != "":
        expected = MINUS + expected
    assert format_number(value, decimals) == expected
