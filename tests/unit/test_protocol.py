"""The wire schema: control validation, error codes and messages, helpers."""

import json
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from client import protocol
from client.protocol import ControlError, binary_frame_error, parse_control, price_decimals

RANGE_TEXT = "10 to 1000"
MESSAGE_LIMIT = 200
CODES = {
    "invalid_json",
    "not_an_object",
    "empty_control",
    "unknown_field",
    "wrong_type",
    "out_of_range",
}

# (client text frame, error code a client can branch on)
REFUSED = [
    ("nope", "invalid_json"),
    ("", "invalid_json"),
    ("{", "invalid_json"),
    ('{"frequency_ms": }', "invalid_json"),
    ("[]", "not_an_object"),
    ("5", "not_an_object"),
    ('"x"', "not_an_object"),
    ("null", "not_an_object"),
    ("true", "not_an_object"),
    ("{}", "empty_control"),
    ('{"foo": 1}', "unknown_field"),
    ('{"frequency_ms": 50, "x": 1}', "unknown_field"),
    ('{"FREQUENCY_MS": 50}', "unknown_field"),
    ('{"frequency_ms": "50"}', "wrong_type"),
    ('{"frequency_ms": true}', "wrong_type"),
    ('{"frequency_ms": false}', "wrong_type"),
    ('{"frequency_ms": 50.5}', "wrong_type"),
    ('{"frequency_ms": 50.0}', "wrong_type"),
    ('{"frequency_ms": null}', "wrong_type"),
    ('{"frequency_ms": [50]}', "wrong_type"),
    ('{"frequency_ms": {"value": 50}}', "wrong_type"),
    ('{"frequency_ms": NaN}', "wrong_type"),
    ('{"frequency_ms": Infinity}', "wrong_type"),
    ('{"frequency_ms": -Infinity}', "wrong_type"),
    ('{"frequency_ms": 1e400}', "wrong_type"),
    ('{"frequency_ms": 9}', "out_of_range"),
    ('{"frequency_ms": 1001}', "out_of_range"),
    ('{"frequency_ms": 0}', "out_of_range"),
    ('{"frequency_ms": -5}', "out_of_range"),
    ('{"frequency_ms": ' + str(10**30) + "}", "out_of_range"),
    ('{"frequency_ms": ' + str(-(10**30)) + "}", "out_of_range"),
]


def refusal(text: str) -> ControlError:
    with pytest.raises(ControlError) as caught:
        parse_control(text)
    return caught.value


@pytest.mark.parametrize(("text", "code"), REFUSED)
def test_refused_control_gets_its_error_code(text: str, code: str) -> None:
    assert refusal(text).code == code


@pytest.mark.parametrize(("text", "code"), REFUSED)
def test_every_refusal_message_names_frequency_ms(text: str, code: str) -> None:
    refused = refusal(text)
    assert "frequency_ms" in refused.message
    assert str(refused) == refused.message
    assert len(refused.message) < MESSAGE_LIMIT


@pytest.mark.parametrize(
    ("text", "code"), [case for case in REFUSED if case[1] in ("wrong_type", "out_of_range")]
)
def test_bad_value_messages_state_the_allowed_range(text: str, code: str) -> None:
    assert RANGE_TEXT in refusal(text).message


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ('"50"', "a string"),
        ("true", "a boolean"),
        ("50.5", "a non-integer number"),
        ("null", "null"),
        ("[50]", "an array"),
        ("{}", "an object"),
    ],
)
def test_wrong_type_message_names_what_was_sent(value: str, named: str) -> None:
    assert refusal('{"frequency_ms": ' + value + "}").message.endswith("got " + named)


def test_out_of_range_message_shows_a_small_value() -> None:
    assert refusal('{"frequency_ms": 1001}').message.endswith("got 1001")


def test_out_of_range_message_summarises_a_huge_value() -> None:
    message = refusal('{"frequency_ms": ' + str(10**4000) + "}").message
    assert "4001 digits" in message
    assert len(message) < MESSAGE_LIMIT


def test_unknown_field_message_names_the_field() -> None:
    assert '"foo"' in refusal('{"foo": 1}').message


def test_unknown_field_message_truncates_a_long_ascii_name() -> None:
    message = refusal(json.dumps({"k" * 10_000: 1})).message
    assert len(message) < MESSAGE_LIMIT


@pytest.mark.parametrize(
    "name",
    [
        "\U0001f600" * 50,  # outside the BMP: json.dumps writes 12 characters for each
        "\x00" * 50,  # control characters: 6 characters each
        "é" * 50,
    ],
    ids=["emoji", "control", "accented"],
)
def test_unknown_field_message_stays_short_for_escaped_names(name: str) -> None:
    message = refusal(json.dumps({name: 1})).message
    assert len(message) < MESSAGE_LIMIT, message


@pytest.mark.parametrize(
    "text",
    [
        "[" * 3000,  # 3 KB: fits a control frame (4 KiB)
        "[" * 3000 + "]" * 3000,
        '{"a":' * 1500 + "1" + "}" * 1500,
    ],
    ids=["unclosed-arrays", "nested-arrays", "nested-objects"],
)
def test_deeply_nested_json_is_refused_with_a_control_error(text: str) -> None:
    refused = refusal(text)
    assert refused.code in CODES
    assert len(refused.message) < MESSAGE_LIMIT


@pytest.mark.parametrize("frequency", [10, 50, 1000])
def test_valid_frequency_is_accepted(frequency: int) -> None:
    result = parse_control(json.dumps({"frequency_ms": frequency}))
    assert result == {"frequency_ms": frequency}
    assert type(result["frequency_ms"]) is int


def test_whitespace_around_a_valid_control_is_accepted() -> None:
    assert parse_control(' \n{ "frequency_ms" : 20 }\t') == {"frequency_ms": 20}


@given(st.integers())
@example(9)
@example(10)
@example(1000)
@example(1001)
def test_any_integer_is_valid_exactly_inside_10_to_1000(value: int) -> None:
    text = json.dumps({"frequency_ms": value})
    if 10 <= value <= 1000:
        assert parse_control(text) == {"frequency_ms": value}
    else:
        refused = refusal(text)
        assert refused.code == "out_of_range"
        assert RANGE_TEXT in refused.message
        assert len(refused.message) < MESSAGE_LIMIT


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**4000), max_value=10**4000)
    | st.floats()
    | st.text()
    | st.text(min_size=300, max_size=3000)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text() | st.text(min_size=200, max_size=2000), children, max_size=5)
    ),
    max_leaves=20,
)
CONTROL_LIKE = st.dictionaries(
    st.sampled_from(["frequency_ms"]) | st.text() | st.text(min_size=200, max_size=2000),
    JSON_VALUES,
    max_size=3,
)


def check_outcome(text: str) -> None:
    refused: ControlError | None = None
    try:
        result = parse_control(text)
    except ControlError as caught:
        refused = caught
    if refused is not None:
        assert refused.code in CODES
        assert len(refused.message) < MESSAGE_LIMIT, refused.message
    else:
        assert set(result) == {"frequency_ms"}
        assert type(result["frequency_ms"]) is int
        assert 10 <= result["frequency_ms"] <= 1000


@given(JSON_VALUES | CONTROL_LIKE)
@example({"\U0001f600" * 40: 1})
@example({"frequency_ms": 10**3000})
@example({"frequency_ms": "x" * 3000})
def test_any_json_value_is_accepted_or_refused_with_a_short_control_error(value: Any) -> None:
    check_outcome(json.dumps(value))


@given(st.text(max_size=300))
def test_any_text_is_accepted_or_refused_with_a_short_control_error(text: str) -> None:
    check_outcome(text)


def test_binary_frame_error_tells_the_client_to_send_json_text() -> None:
    refused = binary_frame_error()
    assert isinstance(refused, ControlError)
    assert refused.code == "binary_frame"
    assert "JSON" in refused.message
    assert "frequency_ms" in refused.message


def test_error_message_has_exactly_the_error_fields() -> None:
    message = protocol.error("wrong_type", "send an integer")
    assert message == {"type": "error", "code": "wrong_type", "message": "send an integer"}
    assert set(message) == set(protocol.FIELDS["error"])


def test_config_message_has_exactly_the_config_fields() -> None:
    message = protocol.config(50, ["BTC/USD", "ETH/USD"], "a1b2c3")
    assert message == {
        "type": "config",
        "frequency_ms": 50,
        "symbols": ["BTC/USD", "ETH/USD"],
        "market": "a1b2c3",
    }
    assert set(message) == set(protocol.FIELDS["config"])


def test_stream_fields_are_the_reference_fields_plus_seq() -> None:
    assert protocol.FIELDS["price"] == ("type", "symbol", "price", "volume", "ts", "seq")
    assert protocol.FIELDS["trade"] == ("type", "symbol", "price", "size", "side", "ts", "seq")
    assert protocol.FIELDS["book"] == ("type", "symbol", "bids", "asks", "ts", "seq")


def test_control_limits_match_the_spec() -> None:
    assert (protocol.MIN_FREQUENCY_MS, protocol.MAX_FREQUENCY_MS) == (10, 1000)
    assert protocol.DEFAULT_FREQUENCY_MS == 50


@pytest.mark.parametrize(
    ("price", "decimals"),
    [
        (45123.4, 2),
        (2501.23, 2),
        (100.0, 3),
        (99.5, 4),
        (7.5, 5),
        (1.0, 5),
        (0.456789, 6),
        (0.08, 7),
        (0.0, 5),
    ],
)
def test_price_decimals_keep_six_significant_digits(price: float, decimals: int) -> None:
    assert price_decimals(price) == decimals


def significant_digits(text: str) -> int:
    return len(text.lstrip("-").replace(".", "").lstrip("0"))


@given(st.floats(min_value=1e-6, max_value=1e9))
def test_prices_show_at_least_six_significant_digits_and_two_decimals(price: float) -> None:
    decimals = price_decimals(price)
    assert decimals >= 2
    shown = "{:.{}f}".format(price, decimals)
    assert significant_digits(shown) >= 6


@pytest.mark.parametrize(("text", "seq"), [(None, None), ("0", 0), ("1234", 1234)])
def test_resume_from_is_absent_or_a_seq(text: str | None, seq: int | None) -> None:
    assert protocol.parse_resume(text) == seq


@pytest.mark.parametrize("text", ["", "-1", "1.5", "abc", "1e3", " 12", "٣", "9" * 19])
def test_a_bad_resume_from_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(ControlError) as refused:
        protocol.parse_resume(text)
    assert refused.value.code == protocol.WRONG_TYPE
    assert "such as 1234" in refused.value.message
