"""The texts the page shows, as pure functions of the state: numbers, prices, times, the trade
tape's rows and the SVG sparkline's attributes.

The server renders the first page with these and the Python engines update it with the same
functions, so SSR and live rendering cannot disagree. Portable to MicroPython.
"""

from .protocol import BOOK_DEPTH, Message, price_decimals

SPARKLINE_WIDTH = 240.0
SPARKLINE_HEIGHT = 56.0
FLAT_RANGE = 1e-9
PLACEHOLDER = "—"
MINUS = "\u2212"  # a real minus sign, as wide as the plus
US_PER_MS = 1_000
MS_PER_S = 1_000
MS_PER_DAY = 86_400_000
THOUSAND = 1_000
MILLION = 1_000_000
BILLION = 1_000_000_000


X_LABEL_SETS = 8  # cached point counts: the windows in use, not every count ever seen
_x_labels: dict[tuple[int, float], list[str]] = {}


def _x_prefixes(count: int, width: float) -> list[str]:
    """ "x," strings of every point of a `count`-point line: they depend on nothing else, so a
    frame only formats the y values."""
    key = (count, width)
    labels = _x_labels.get(key)
    if labels is None:
        if len(_x_labels) >= X_LABEL_SETS:
            _x_labels.clear()  # a growing history passes through every count once
        step = width / (count - 1) if count > 1 else 0.0
        labels = ["%.1f," % (step * index) for index in range(count)]
        _x_labels[key] = labels
    return labels


def sparkline_points(
    data: list[float], width: float = SPARKLINE_WIDTH, height: float = SPARKLINE_HEIGHT
) -> str:
    """SVG polyline points of a series, by the reference's formula.

    A flat series (range below 1e-9) uses a range of 1, so it lies on the bottom edge as in the
    reference; a single point sits at x = 0 (the reference divides by zero there).
    """
    if not data:
        return ""
    low = min(data)
    span = max(data) - low
    if abs(span) < FLAT_RANGE:
        span = 1.0
    xs = _x_prefixes(len(data), width)
    return " ".join(
        [x + "%.1f" % (height - ((value - low) / span) * height) for x, value in zip(xs, data)]
    )


def _grouped(digits: str) -> str:
    # Thousands separators by hand: MicroPython's format() has no "," option.
    head = len(digits) % 3 or 3
    groups = [digits[:head]]
    for start in range(head, len(digits), 3):
        groups.append(digits[start : start + 3])
    return ",".join(groups)


# "%.Nf" per N, built once: MicroPython spends more on building a format than on using it.
_FIXED = tuple("%." + str(decimals) + "f" for decimals in range(16))


def _rest_width(decimals: int) -> int:
    """Characters of the rest after a thousands separator: "ddd", then "." and the decimals."""
    return decimals + 4 if decimals else 3


# "thousands,rest" with the rest padded to "ddd.<N decimals>", per N.
_GROUPED = tuple(
    "%.0f,%0" + str(_rest_width(decimals)) + "." + str(decimals) + "f" for decimals in range(16)
)
PLAIN_BELOW = 999.0  # numbers below this need no separator, even rounded up
GROUP = 1_000.0  # what one thousands group holds
GROUPED_FROM = GROUP
GROUPED_BELOW = 999_000.0  # numbers below this need one separator at most
WHOLE_REST_BELOW = 999.0  # a rest below this cannot round up to the next thousand


def format_number(value: float, decimals: int) -> str:
    # This runs for most numbers of every frame, and under MicroPython each operation counts:
    # the common cases take the fewest.
    if value > 0:  # not NaN, and not -0.0, which "%f" would sign
        if value < PLAIN_BELOW:
            return _FIXED[decimals] % value
        if GROUPED_FROM <= value < GROUPED_BELOW:
            # Split exactly: the rest is value - 1000 * thousands, with the value's decimals.
            thousands, rest = divmod(value, GROUP)
            if rest < WHOLE_REST_BELOW:
                return _GROUPED[decimals] % (thousands, rest)
        text = _FIXED[decimals] % value
        whole = len(text) - decimals - 1 if decimals else len(text)
        return _grouped_number(text) if whole > 3 else text
    text = _FIXED[decimals] % abs(value)
    whole = len(text) - decimals - 1 if decimals else len(text)
    if whole > 3:
        text = _grouped_number(text)
    if value < 0 and text.strip("0.,") != "":  # not one that rounds to zero
        return MINUS + text
    return text


def _grouped_number(text: str) -> str:
    point = text.find(".")  # inf and nan have no point
    whole = point if point >= 0 else len(text)
    return _grouped(text[:whole]) + text[whole:]


def format_price(price: float | None) -> str:
    if price is None:
        return PLACEHOLDER
    return format_number(price, price_decimals(price))


def format_spread(best_bid: float, best_ask: float) -> str:
    """The spread on the price grid of the quotes themselves (not of the small difference)."""
    return format_number(best_ask - best_bid, price_decimals(best_ask))


def change_pct(first: float, last: float) -> float:
    return (last - first) / first * 100.0 if first else 0.0


def _change(pct: float | None) -> tuple[str, str]:
    """(format_change, change_direction) of `pct`, formatting it once."""
    if pct is None:
        return PLACEHOLDER, "flat"
    text = "%.2f" % abs(pct)
    if text == "0.00":
        return "0.00%", "flat"
    if pct > 0:
        return "+%s%%" % text, "up"
    return MINUS + "%s%%" % text, "down"


def format_change(pct: float | None) -> str:
    return _change(pct)[0]


def change_direction(pct: float | None) -> str:
    """`up`, `down` or `flat`: the card's data-direction, which the stylesheet colours."""
    return _change(pct)[1]


def format_volume(volume: int | None) -> str:
    if volume is None:
        return PLACEHOLDER
    whole = int(volume)
    # By arithmetic where it can be: one format instead of a split, slices and a join.
    if 0 <= whole < THOUSAND:
        return "%d" % whole
    if 0 <= whole < MILLION:
        return "%d,%03d" % (whole // THOUSAND, whole % THOUSAND)
    if 0 <= whole < BILLION:
        return "%d,%03d,%03d" % (whole // MILLION, whole // THOUSAND % THOUSAND, whole % THOUSAND)
    return _grouped(str(whole))


def format_size(size: float) -> str:
    return "{:.4f}".format(size)


def format_clock(ts_us: int) -> str:
    """HH:MM:SS.mmm of a µs timestamp, UTC (no time module: portable and pure)."""
    # Two operations on the big timestamp, the rest on small numbers: under MicroPython an
    # integer above 2^30 is a heap-allocated bignum.
    in_day_ms = ts_us // US_PER_MS % MS_PER_DAY
    seconds = in_day_ms // MS_PER_S
    return "%02d:%02d:%02d.%03d" % (
        seconds // 3600,
        seconds // 60 % 60,
        seconds % 60,
        in_day_ms % MS_PER_S,
    )


def depth_scale(size: float, largest: float) -> str:
    """A book level's depth bar, as the CSS transform that scales a full-width bar to it."""
    if largest <= 0:
        return "scaleX(0)"
    return "scaleX(%.3f)" % min(1.0, size / largest)


def format_stat(value: float | None, decimals: int = 1) -> str:
    return PLACEHOLDER if value is None else format_number(value, decimals)


BEHIND_TITLE = "This page is falling behind the stream."
CONFLATED_TITLE = "This page cannot take every tick."


def conflated_text(skipped: int) -> str:
    """The banner's words while the server conflates this page's stream."""
    return "Showing the latest prices; " + format_volume(skipped) + " ticks skipped to keep up."


def escape_html(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


_ESCAPED_LIMIT = 256  # symbols and sides: a handful of distinct texts, escaped once each
_escaped: dict[str, str] = {}


def _escaped_name(text: str) -> str:
    escaped = _escaped.get(text)
    if escaped is None:
        if len(_escaped) >= _ESCAPED_LIMIT:
            _escaped.clear()
        escaped = _escaped[text] = escape_html(text)
    return escaped


_TRADE_ROW = (
    '<tr data-side="%s"><td>%s</td><td>%s</td><td class="side">%s</td>'
    '<td class="num">%s</td><td class="num">%.4f</td></tr>'
)


def trade_row_html(trade: Message) -> str:
    """One row of the trades tape; the server renders the same markup the engines insert."""
    side = _escaped_name(str(trade["side"]))
    return _TRADE_ROW % (
        side,
        format_clock(trade["ts"]),
        _escaped_name(str(trade["symbol"])),
        side,
        format_price(trade["price"]),
        trade["size"],  # format_size
    )


def trades_html(trades: list[Message]) -> str:
    """Rows for `trades` (oldest first), newest at the top."""
    return "".join(trade_row_html(trade) for trade in reversed(trades))


EMPTY_LEVEL = (PLACEHOLDER, PLACEHOLDER, "scaleX(0)")


def ladder_levels(book: Message | None) -> list[tuple[str, str, str]]:
    """(price, size, depth bar transform) per row, top to bottom: the asks from the 5th to the best,
    then the bids from the best down. Missing levels show placeholders."""
    bids = book["bids"] if book else []
    asks = book["asks"] if book else []
    largest = 0.0
    for _, size in bids:
        largest = max(largest, size)
    for _, size in asks:
        largest = max(largest, size)

    def rows(levels: list[list[float]]) -> list[tuple[str, str, str]]:
        filled = [
            (format_price(price), format_size(size), depth_scale(size, largest))
            for price, size in levels[:BOOK_DEPTH]
        ]
        return filled + [EMPTY_LEVEL] * (BOOK_DEPTH - len(filled))

    return rows(asks)[::-1] + rows(bids)


# A whole ladder is written with one str.format (under MicroPython each call, slice or format
# is dear, and a ladder has 31 cells): `full_ladder` gives a layout and the arguments, and
# `ladder_fields(layout)` the field of each cell, row after row as `ladder_levels` orders them
# (price, size, depth bar), then the spread; a field names its argument by position.
LADDER_ROWS = 2 * BOOK_DEPTH
PRICE_TEXTS = 0  # layouts: the prices as format_price texts
PLAIN_PRICES = 1  # the prices as numbers of the layout's decimals, needing no separator
GROUPED_PRICES = 2  # the prices as (thousands, rest) numbers, shown "thousands,rest"


def ladder_fields(layout: tuple[int, int]) -> list[str]:
    """The format field of every ladder cell, then of the spread, for `full_ladder`'s
    arguments laid out as `layout` (its kind of prices and their decimals)."""
    kind, decimals = layout
    rows = range(LADDER_ROWS)
    if kind == GROUPED_PRICES:
        rest = "{%d:0" + str(_rest_width(decimals)) + "." + str(decimals) + "f}"
        prices = ["{%d:.0f}," % row + rest % (LADDER_ROWS + row) for row in rows]
    elif kind == PLAIN_PRICES:
        prices = ["{%d:.%df}" % (row, decimals) for row in rows]
    else:
        prices = ["{%d}" % row for row in rows]
    sizes_at = len(prices) * (2 if kind == GROUPED_PRICES else 1)
    bars_at = sizes_at + LADDER_ROWS
    fields: list[str] = []
    for row in rows:
        fields += (prices[row], "{%d:.4f}" % (sizes_at + row), "scaleX({%d:.3f})" % (bars_at + row))
    fields.append("{%d}" % (bars_at + LADDER_ROWS))
    return fields


def full_ladder(book: Message | None) -> tuple[tuple[int, int], tuple[object, ...]] | None:
    """(layout, arguments) of a whole ladder for `ladder_fields(layout)`, showing what
    `ladder_levels` and `book_spread` would; None unless both sides have BOOK_DEPTH levels and
    a positive size."""
    if not book:
        return None
    asks = book["asks"]
    bids = book["bids"]
    if len(asks) != BOOK_DEPTH or len(bids) != BOOK_DEPTH:
        return None
    prices, sizes = zip(*(asks[::-1] + bids))
    largest = max(sizes)
    if not largest > 0:
        return None
    bars = tuple([size / largest for size in sizes])  # depth_scale's, at most 1
    spread = (format_spread(bids[0][0], asks[0][0]),)
    low = min(prices)
    high = max(prices)
    decimals = price_decimals(high)
    if low > 0 and price_decimals(low) == decimals:  # then every price has these decimals
        if high < PLAIN_BELOW:
            return (PLAIN_PRICES, decimals), prices + sizes + bars + spread
        if low >= GROUPED_FROM and high < GROUPED_BELOW:
            # Split exactly: each rest is price - 1000 * thousands, with the price's decimals.
            thousands, rests = zip(*[divmod(price, GROUP) for price in prices])
            if max(rests) < WHOLE_REST_BELOW:
                layout = (GROUPED_PRICES, decimals)
                return layout, thousands + rests + sizes + bars + spread
    texts = tuple([format_price(price) for price in prices])
    return (PRICE_TEXTS, 0), texts + sizes + bars + spread


def book_spread(book: Message | None) -> str:
    if not book or not book["bids"] or not book["asks"]:
        return PLACEHOLDER
    return format_spread(book["bids"][0][0], book["asks"][0][0])


def card_texts(shown: list[float], last: Message | None) -> tuple[str, str, str, str]:
    """(price, change, direction, volume) of a price card showing the prices `shown`."""
    pct = change_pct(shown[0], shown[-1]) if len(shown) > 1 else None
    change, direction = _change(pct)
    return (
        format_price(shown[-1] if shown else None),
        change,
        direction,
        format_volume(last["volume"] if last else None),
    )


def system_texts(system: Message) -> tuple[str, str, str]:
    """(cpu_pct, mem_mb, msg_rate) of the server panel."""
    return (
        format_number(system["cpu_pct"], 1),
        format_volume(system["mem_mb"]),
        format_volume(system["msg_rate"]),
    )


def batch_text(setting: object, interval_ms: int | None) -> str:
    """The batching readout: "off", "16 ms", "auto" (asked, not yet answered), "auto · 8 ms"."""
    if setting == 0:
        return "off"
    if setting == "auto":
        if interval_ms is None:
            return "auto"
        return "auto · " + ("off" if interval_ms == 0 else str(interval_ms) + " ms")
    return str(setting) + " ms"


NO_ALERTS_HTML = '<li class="alert-empty">No alerts yet.</li>'


def alert_text(alert: Message) -> str:
    """An alert as the list and its toast say it: "BTC/USD above 65,012.50"."""
    return str(alert["symbol"]) + " " + str(alert["direction"]) + " " + format_price(alert["price"])


def alerts_html(alerts: list[Message]) -> str:
    """The alert list's items (alerts as JSON), each with its remove button."""
    if not alerts:
        return NO_ALERTS_HTML
    items = []
    for index, alert in enumerate(alerts):
        text = escape_html(alert_text(alert))
        fired = alert["fired"]
        times = "fired " + str(fired) + (" time" if fired == 1 else " times") if fired else "armed"
        items.append(
            '<li class="alert-item"><span class="alert-text">'
            + text
            + '</span> <span class="alert-fired">'
            + times
            + '</span> <button type="button" data-remove="'
            + str(index)
            + '" aria-label="Remove alert '
            + text
            + '">Remove</button></li>'
        )
    return "".join(items)
