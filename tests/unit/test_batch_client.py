"""The client's side of batching: the readout text, the backlog, batch frames in measurements."""

import pytest

from client import protocol, texts
from client.measure import BEHIND_MS, BEHIND_REPORTS, Measurements
from client.protocol import ControlError, parse_control

US_PER_MS = 1000


def test_the_batch_readout_says_the_mode_and_what_auto_chose() -> None:
    assert texts.batch_text(0, 0) == "off"
    assert texts.batch_text(16, 16) == "16 ms"
    assert texts.batch_text("auto", None) == "auto"
    assert texts.batch_text("auto", 0) == "auto · off"
    assert texts.batch_text("auto", 8) == "auto · 8 ms"


def test_batch_controls_parse_with_the_other_fields() -> None:
    assert parse_control('{"batch_ms": "auto"}') == {"batch_ms": "auto"}
    assert parse_control('{"batch_ms": 0, "backlog_ms": 12}') == {"batch_ms": 0, "backlog_ms": 12}
    assert parse_control('{"batch_ms": 1000}') == {"batch_ms": protocol.MAX_BATCH_MS}
    for bad, code in (
        ('{"batch_ms": "AUTO"}', protocol.WRONG_TYPE),
        ('{"batch_ms": true}', protocol.WRONG_TYPE),
        ('{"batch_ms": 1001}', protocol.OUT_OF_RANGE),
        ('{"backlog_ms": 3600001}', protocol.OUT_OF_RANGE),
    ):
        with pytest.raises(ControlError) as refused:
            parse_control(bad)
        assert refused.value.code == code, bad


def test_a_batch_frame_counts_every_message_and_one_handler_call() -> None:
    measurements = Measurements(0.0, 0.0)
    stamps = [1000 * US_PER_MS, 1010 * US_PER_MS, 1020 * US_PER_MS]
    measurements.received_batch(1030.0, 4, stamps, 55.0)  # one of the four carries no ts
    measurements.painted(1040.0)
    report = measurements.report("py", "live", 4, 0)
    assert report["latency_ms"]["n"] == 4
    assert sorted(measurements.wire.values()) == [10.0, 20.0, 30.0]
    assert measurements.handler.values() == [55.0]
    assert measurements.take_backlog() == 10.0, "the freshest message says how far behind"


def test_behind_takes_consecutive_late_reports_and_clears_on_one_good_one() -> None:
    measurements = Measurements(0.0, 0.0)
    for _ in range(BEHIND_REPORTS):
        assert not measurements.behind
        measurements.received(BEHIND_MS + 100.0, 0, 1.0)  # sent at 0, received 350 ms later
        measurements.take_backlog()
    assert measurements.behind
    assert measurements.report("js", "live", 0, 0)["behind"] is True
    measurements.received(1.0, 0, 1.0)
    measurements.take_backlog()
    assert not measurements.behind
