"""The one wire schema of Tickscope, shared by the server and every client engine.

Stdlib only and portable to MicroPython: no dataclasses, enum, match or typing at run time.
"""

import json
import math

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Message = dict[str, Any]
else:
    Message = dict

# Message types, server to client.
PRICE = "price"
TRADE = "trade"
BOOK = "book"
SYSTEM = "system"
CONFIG = "config"
SNAPSHOT = "snapshot"
ERROR = "error"
GAP = "gap"  # the server could not deliver seq first..last; a fresh snapshot follows
BATCH = "batch"  # the server's answer to a batch control: the mode and its current interval
# Leads each interval of conflated delivery: its messages stand for seq first..last, of which
# `skipped` were left out on purpose (older values of what it carries); they are not lost.
CONFLATED = "conflated"
# The server moved this client to conflated delivery (it lagged by lag_ms) or back to full.
DELIVERY = "delivery"
CONFLATED_MODE = "conflated"
FULL_MODE = "full"
STREAM_TYPES = (PRICE, TRADE, BOOK, SYSTEM)

# The reference spec's fields, plus our seq.
FIELDS = {
    PRICE: ("type", "symbol", "price", "volume", "ts", "seq"),
    TRADE: ("type", "symbol", "price", "size", "side", "ts", "seq"),
    BOOK: ("type", "symbol", "bids", "asks", "ts", "seq"),
    SYSTEM: ("type", "cpu_pct", "mem_mb", "msg_rate", "ts", "seq"),
    CONFIG: ("type", "frequency_ms", "symbols", "market"),
    SNAPSHOT: ("type", "config", "prices", "last", "books", "trades", "system", "seq"),
    ERROR: ("type", "code", "message"),
    GAP: ("type", "first", "last", "reason"),
    BATCH: ("type", "batch_ms", "interval_ms"),
    CONFLATED: ("type", "first", "last", "skipped", "interval_ms"),
    DELIVERY: ("type", "mode", "interval_ms", "lag_ms"),
}

# Ranges of the reference spec.
VOLUME_MIN = 100
VOLUME_MAX = 10_000
TRADE_SIZE_MIN = 0.01
TRADE_SIZE_MAX = 5.0
BUY = "buy"
SELL = "sell"
SIDES = (BUY, SELL)
BOOK_DEPTH = 5
SIGNIFICANT_DIGITS = 6  # prices carry 6 significant digits: 45123.4, 2501.23, 0.456789

# Rolling buffers.
HISTORY_LIMIT = 1000
TRADES_LIMIT = 100
WINDOW_SIZES = (200, 500, 1000)
DEFAULT_WINDOW = 200

# Control, client to server.
FREQUENCY_MS = "frequency_ms"
MIN_FREQUENCY_MS = 10
MAX_FREQUENCY_MS = 1000
DEFAULT_FREQUENCY_MS = 50
# Batching: 0 = one message per frame; N = one frame per N ms holding that interval's messages;
# "auto" = the server picks 0 to 16 ms by load and by the client's reported backlog.
BATCH_MS = "batch_ms"
AUTO = "auto"
MAX_BATCH_MS = 1000  # a batch older than the slowest tick period shows nothing useful
INTERVAL_MS = "interval_ms"
# The client's receive backlog (how late its newest message arrived, in ms): auto's input.
BACKLOG_MS = "backlog_ms"
MAX_BACKLOG_MS = 3_600_000
CONTROL_FIELDS = (FREQUENCY_MS, BATCH_MS, BACKLOG_MS)
RESUME_FROM = "resume_from"  # query parameter of /ws: the last seq a reconnecting client got
MARKET = "market"  # ...and of the market it got it from: seqs of another market mean nothing
# ...and `?conflate=1`: a client that had to start afresh (it could not keep up even conflated)
# asks to start on conflated delivery rather than fall hopelessly behind again.
CONFLATE = "conflate"
FRESH_START_QUERY = "?" + CONFLATE + "=1"

# Error codes a client can branch on; the message says what to do.
INVALID_JSON = "invalid_json"
NOT_AN_OBJECT = "not_an_object"
EMPTY_CONTROL = "empty_control"
UNKNOWN_FIELD = "unknown_field"
WRONG_TYPE = "wrong_type"
OUT_OF_RANGE = "out_of_range"
BINARY_FRAME = "binary_frame"
RATE_LIMITED = "rate_limited"
FIXED_PACE = "fixed_pace"  # the source (an exchange, a recording) keeps its own tick period
UNAVAILABLE = "unavailable"  # the market is out of reach (its broker is down); try again

_FREQUENCY_RULE = "an integer number of milliseconds from {} to {}".format(
    MIN_FREQUENCY_MS, MAX_FREQUENCY_MS
)
_BATCH_RULE = '0 (off), an integer number of milliseconds up to {}, or "auto"'.format(MAX_BATCH_MS)
_BACKLOG_RULE = "an integer number of milliseconds from 0 to {}".format(MAX_BACKLOG_MS)
_EXAMPLE = '{"frequency_ms": 50}'
_SEQ_DIGITS = 18  # a seq fits in a JS number exactly up to 2^53; this is well below
_SHOWN_NAME_LIMIT = 40  # characters of an unknown field's (escaped) name quoted back


def price_decimals(price: float) -> int:
    """Decimals that keep SIGNIFICANT_DIGITS of a price, never fewer than 2."""
    magnitude = math.floor(math.log10(price)) + 1 if price > 0 else 1
    return max(2, SIGNIFICANT_DIGITS - magnitude)


class ControlError(ValueError):
    """A control message the server refuses; `code` is one of the error codes above."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_JSON_KINDS = (
    (bool, "a boolean"),
    (float, "a non-integer number"),
    (str, "a string"),
    (list, "an array"),
    (dict, "an object"),
)


def _json_kind(value: object) -> str:
    """How a person would name the JSON value they sent."""
    if value is None:
        return "null"
    for kind, name in _JSON_KINDS:
        if isinstance(value, kind):
            return name
    return "a " + type(value).__name__


def _check_int(name: str, rule: str, value: object, low: int, high: int) -> int:
    # bool is an int subclass in Python; JSON true is not a number of milliseconds.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ControlError(
            WRONG_TYPE, "{} must be {}; got {}".format(name, rule, _json_kind(value))
        )
    if not low <= value <= high:
        shown = (
            str(value)
            if len(str(value)) <= 20
            else "a number with {} digits".format(len(str(abs(value))))
        )
        raise ControlError(OUT_OF_RANGE, "{} must be {}; got {}".format(name, rule, shown))
    return value


def _check_frequency(value: object) -> int:
    return _check_int(FREQUENCY_MS, _FREQUENCY_RULE, value, MIN_FREQUENCY_MS, MAX_FREQUENCY_MS)


def _check_batch(value: object) -> object:
    if value == AUTO:
        return AUTO
    if isinstance(value, str):
        raise ControlError(
            WRONG_TYPE, "batch_ms must be {}; got the string {}".format(_BATCH_RULE, _quoted(value))
        )
    return _check_int(BATCH_MS, _BATCH_RULE, value, 0, MAX_BATCH_MS)


def _check_backlog(value: object) -> int:
    return _check_int(BACKLOG_MS, _BACKLOG_RULE, value, 0, MAX_BACKLOG_MS)


_CHECKS = {FREQUENCY_MS: _check_frequency, BATCH_MS: _check_batch, BACKLOG_MS: _check_backlog}


def _quoted(name: str) -> str:
    shown = json.dumps(name)
    if len(shown) > _SHOWN_NAME_LIMIT:
        shown = shown[:_SHOWN_NAME_LIMIT] + '…"'
    return shown


def parse_control(text: str) -> Message:
    """Validate one client text frame; return the control as a dict or raise ControlError."""
    try:
        data = json.loads(text)
    # RuntimeError: nesting too deep for the parser (CPython's RecursionError is one).
    except (ValueError, RuntimeError):
        raise ControlError(
            INVALID_JSON, "control messages are JSON objects such as " + _EXAMPLE
        ) from None
    if not isinstance(data, dict):
        raise ControlError(
            NOT_AN_OBJECT,
            "control messages are JSON objects such as {}; got {}".format(
                _EXAMPLE, _json_kind(data)
            ),
        )
    if not data:
        raise ControlError(EMPTY_CONTROL, "the control message is empty; send " + _EXAMPLE)
    unknown = sorted(key for key in data if key not in CONTROL_FIELDS)
    if unknown:
        raise ControlError(
            UNKNOWN_FIELD,
            "unknown field {}; the control fields are {}".format(
                _quoted(unknown[0]), ", ".join(CONTROL_FIELDS)
            ),
        )
    # Sorted: every field is checked in the same order on every engine (no dict order).
    return {name: _CHECKS[name](data[name]) for name in sorted(data)}


def parse_resume(text: "str | None") -> "int | None":
    """The `resume_from` query parameter: absent, or a seq (a non-negative integer)."""
    if text is None:
        return None
    digits = 0 < len(text) <= _SEQ_DIGITS and all("0" <= c <= "9" for c in text)
    if not digits:
        raise ControlError(
            WRONG_TYPE,
            "resume_from must be the last seq received, a whole number such as 1234; "
            "sent a fresh snapshot instead",
        )
    return int(text)


def resume_query(seq: int, market: str) -> str:
    """The /ws query of a client coming back: where it stopped, and in which run of the market."""
    if not (seq and market):
        return ""
    return "?{}={}&{}={}".format(RESUME_FROM, seq, MARKET, market)


def binary_frame_error() -> ControlError:
    return ControlError(
        BINARY_FRAME, "binary frames are not accepted; send JSON text such as " + _EXAMPLE
    )


def error(code: str, message: str) -> Message:
    return {"type": ERROR, "code": code, "message": message}


def gap(first: int, last: int, reason: str) -> Message:
    return {"type": GAP, "first": first, "last": last, "reason": reason}


def conflated(first: int, last: int, skipped: int, interval_ms: int) -> Message:
    return {
        "type": CONFLATED,
        "first": first,
        "last": last,
        "skipped": skipped,
        INTERVAL_MS: interval_ms,
    }


def delivery(mode: str, interval_ms: int, lag_ms: int) -> Message:
    return {"type": DELIVERY, "mode": mode, INTERVAL_MS: interval_ms, "lag_ms": lag_ms}


def gap_notice(message: Message) -> str:
    """What a person is told about a gap notice."""
    missed = message["last"] - message["first"] + 1
    return "{} messages were lost ({}); the page was resynced from a fresh snapshot".format(
        missed, message["reason"]
    )


def config(frequency_ms: int, symbols: list[str], market: str = "") -> Message:
    """`market` names this run of the market ("" until known); a restarted one has a new name."""
    return {"type": CONFIG, FREQUENCY_MS: frequency_ms, "symbols": symbols, MARKET: market}
