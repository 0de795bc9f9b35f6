"""Views in every engine: the same text for the same numbers."""

from client import texts
from client.protocol import Message


def test_sparkline_follows_the_reference_formula_on_exact_values():
    # Values chosen so no coordinate lands on a .x5 tie, which engines round differently.
    assert texts.sparkline_points([1.0, 3.0, 2.0], 100.0, 50.0) == "0.0,50.0 50.0,0.0 100.0,25.0"


def test_a_flat_series_lies_on_the_bottom_edge_and_one_point_at_zero():
    assert texts.sparkline_points([5.0, 5.0], 10.0, 8.0) == "0.0,8.0 10.0,8.0"
    assert texts.sparkline_points([5.0], 10.0, 8.0) == "0.0,8.0"
    assert texts.sparkline_points([], 10.0, 8.0) == ""


def test_prices_are_grouped_with_their_precision():
    assert texts.format_price(45123.456) == "45,123.46"
    assert texts.format_price(0.4561234) == "0.456123"
    assert texts.format_price(None) == texts.PLACEHOLDER


def test_changes_carry_a_sign_and_a_direction():
    assert texts.format_change(1.234) == "+1.23%"
    assert texts.format_change(-0.5) == "\u22120.50%"
    assert texts.change_direction(-0.5) == "down"
    assert texts.change_direction(0.0001) == "flat"


def test_ladder_rows_run_from_the_fifth_ask_down_to_the_fifth_bid():
    book = {
        "bids": [[99.0 - i, 1.0 + i] for i in range(5)],
        "asks": [[100.0 + i, 1.0] for i in range(5)],
    }
    rows = texts.ladder_levels(book)
    assert [row[0] for row in rows] == [
        "104.000",
        "103.000",
        "102.000",
        "101.000",
        "100.000",
        "99.0000",
        "98.0000",
        "97.0000",
        "96.0000",
        "95.0000",
    ]
    assert rows[9][2] == "scaleX(1.000)"
    assert texts.ladder_levels(None)[0] == texts.EMPTY_LEVEL


def test_trade_rows_escape_what_they_show():
    row = texts.trade_row_html({"ts": 0, "symbol": "<b>", "side": "buy", "price": 1.0, "size": 2.0})
    assert "<b>" not in row
    assert "&lt;b&gt;" in row


def ladder_at_once(book: Message) -> "list[str]":
    """Every cell's text, then the spread, as the one format operation writes them."""
    ladder = texts.full_ladder(book)
    assert ladder is not None
    layout, arguments = ladder
    return "\u001f".join(texts.ladder_fields(layout)).format(*arguments).split("\u001f")


def test_a_full_ladder_formatted_at_once_shows_what_its_cells_would():
    book = {
        "bids": [[44001.06 - 3.5 * i, 0.0123 + 1.1 * i] for i in range(5)],
        "asks": [[44009.86 + 2.25 * i, 4.9876 - 0.7 * i] for i in range(5)],
    }
    # Grouped prices, plain ones, more decimals, and a million, shown price by price.
    for scale in (1.0, 0.01, 0.0001, 100.0):
        scaled = {side: [[p * scale, s] for p, s in levels] for side, levels in book.items()}
        at_once = ladder_at_once(scaled)
        one_by_one: list[str] = []
        for row in texts.ladder_levels(scaled):
            one_by_one.extend(row)
        one_by_one.append(texts.book_spread(scaled))
        assert at_once == one_by_one, scale


def test_a_ladder_whose_prices_differ_in_decimals_is_formatted_price_by_price():
    book = {
        "bids": [[0.99 - 0.01 * i, 1.0] for i in range(5)],  # 0.99 has 6 decimals, 1.00 has 5
        "asks": [[1.0 + 0.01 * i, 1.0] for i in range(5)],
    }
    ladder = texts.full_ladder(book)
    assert ladder is not None
    layout, arguments = ladder
    assert layout[0] == texts.PRICE_TEXTS
    assert arguments[4] == texts.format_price(1.0)  # the best ask, after the other four
    assert arguments[5] == texts.format_price(0.99)
    one_by_one = [text for row in texts.ladder_levels(book) for text in row]
    assert ladder_at_once(book)[:-1] == one_by_one


def test_a_grouped_price_that_would_round_up_to_the_next_thousand_is_formatted_alone():
    book = {
        "bids": [[45999.996 - 10.0 * i, 1.0] for i in range(5)],  # "46,000.00" at the top
        "asks": [[46010.0 + 10.0 * i, 1.0] for i in range(5)],
    }
    ladder = texts.full_ladder(book)
    assert ladder is not None
    assert ladder[0][0] == texts.PRICE_TEXTS
    cells = ladder_at_once(book)
    assert cells[15] == "46,000.00"
    assert cells[15] == texts.ladder_levels(book)[5][0]


def test_integer_prices_and_sizes_format_like_floats():
    book = {"bids": [[99 - i, 2] for i in range(5)], "asks": [[100 + i, 1] for i in range(5)]}
    one_by_one = [text for row in texts.ladder_levels(book) for text in row]
    one_by_one.append(texts.book_spread(book))
    assert ladder_at_once(book) == one_by_one


def test_only_full_books_are_formatted_at_once():
    full = {
        "bids": [[99.0 - i, 1.0] for i in range(5)],
        "asks": [[100.0 + i, 1.0] for i in range(5)],
    }
    assert texts.full_ladder(full) is not None
    assert texts.full_ladder(None) is None
    assert texts.full_ladder({"bids": full["bids"][:4], "asks": full["asks"]}) is None
    empty_sizes = {"bids": [[99.0 - i, 0.0] for i in range(5)], "asks": full["asks"]}
    empty_sizes["asks"] = [[100.0 + i, 0.0] for i in range(5)]
    assert texts.full_ladder(empty_sizes) is None


def test_numbers_group_thousands_and_sign_like_the_reference():
    assert texts.format_number(1234.5, 2) == "1,234.50"
    assert texts.format_number(123456.789, 1) == "123,456.8"
    assert texts.format_number(1234567.0, 0) == "1,234,567"
    assert texts.format_number(-1234.5, 2) == "\u22121,234.50"
    assert texts.format_number(-0.0, 2) == "0.00"
    assert texts.format_number(-0.001, 2) == "0.00"
    assert texts.format_number(999.999, 2) == "1,000.00"
    assert texts.format_number(1234567.0, 2) == "1,234,567.00"
    assert texts.format_number(-1234567.0, 0) == "\u22121,234,567"
    assert texts.format_number(float("nan"), 2) == "nan"
    assert texts.format_number(float("inf"), 2) == "inf"
    assert texts.format_number(float("-inf"), 0) == "\u2212inf"
