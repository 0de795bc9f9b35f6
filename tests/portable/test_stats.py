"""Statistics by the reference's index rule, and the page's measurements."""

from client.measure import Measurements
from client.stats import FrameRate, PerSecond, Samples, percentile, summarize
from tests.portable.check import METRIC_KEYS


def test_percentiles_use_the_reference_index_rule():
    ordered = [float(v) for v in range(1, 11)]  # 1..10
    assert percentile(ordered, 0.50) == 5.0  # index int(9 * 0.5) = 4
    assert percentile(ordered, 0.95) == 9.0  # index int(9 * 0.95) = 8
    assert percentile(ordered, 0.99) == 9.0
    assert percentile([3.0], 0.95) == 3.0


def test_summarize_sorts_and_averages():
    summary = summarize([5.0, 1.0, 3.0])
    assert summary == {"mean": 3.0, "p50": 3.0, "p95": 3.0, "p99": 3.0, "n": 3}
    assert summarize([])["n"] == 0
    assert summarize([])["p95"] is None


def test_samples_keep_the_newest_values_in_order():
    samples = Samples(3)
    for value in (1.0, 2.0, 3.0, 4.0, 5.0):
        samples.add(value)
    assert samples.values() == [3.0, 4.0, 5.0]
    assert len(samples) == 3
    samples.clear()
    assert samples.values() == []


def test_extending_samples_keeps_what_adding_one_by_one_keeps():
    for capacity in (1, 3, 5):
        for counts in ((0,), (2,), (7,), (2, 2, 2), (1, 6, 4), (4, 11)):
            added = Samples(capacity)
            extended = Samples(capacity)
            value = 0.0
            for count in counts:
                chunk = []
                for _ in range(count):
                    value += 1.0
                    chunk.append(value)
                    added.add(value)
                extended.extend(chunk)
                assert extended.values() == added.values(), (capacity, counts)
            added.add(-1.0)
            extended.add(-1.0)
            assert extended.values() == added.values(), "the ring continues where it was"


def test_per_second_turns_counts_into_a_rate_once_a_second():
    rate = PerSecond(0.0)
    rate.count(500)
    assert not rate.tick(999.0)
    assert rate.last is None
    rate.count(500)
    assert rate.tick(2000.0)
    assert rate.last == 500.0


def test_frame_rate_keeps_one_value_per_second():
    fps = FrameRate(0.0)
    for frame in range(1, 121):
        fps.frame(frame * 1000.0 / 60)
    summary = fps.summary()
    assert len(fps.history) == 2
    assert 59.0 <= summary["min"] <= summary["mean"] <= 61.0


def test_latency_is_receipt_to_the_end_of_the_painting_frame():
    measurements = Measurements(0.0, 1_000_000.0)
    measurements.received(10.0, None, 50.0)
    measurements.received(12.0, None, 70.0)
    measurements.painted(26.0)
    assert sorted(measurements.latency.values()) == [14.0, 16.0]
    assert measurements.unpainted == []


def test_in_a_worker_latency_ends_at_the_main_thread_frame_that_applies_the_writes():
    measurements = Measurements(0.0, 0.0)
    measurements.received(10.0, None, 50.0)
    measurements.in_flight(1)  # the worker posted writes 1, showing that message
    measurements.received(20.0, None, 50.0)
    measurements.in_flight(2)
    measurements.received(30.0, None, 50.0)  # not rendered yet
    measurements.painted_through(0, 25.0)  # a frame that applied nothing new
    assert len(measurements.latency) == 0
    measurements.painted_through(1, 28.0)
    assert measurements.latency.values() == [18.0]
    measurements.painted_through(2, 45.0)
    assert measurements.latency.values() == [18.0, 25.0]
    assert measurements.unpainted == [30.0]
    measurements.in_flight(2)  # nothing new to write: shown by writes the page already has
    measurements.painted_through(2, 50.0)
    assert measurements.latency.values() == [18.0, 25.0, 20.0]


def test_reset_forgets_the_messages_in_flight():
    measurements = Measurements(0.0, 0.0)
    measurements.received(10.0, None, 50.0)
    measurements.in_flight(1)
    measurements.reset(20.0)
    measurements.painted_through(1, 30.0)
    assert len(measurements.latency) == 0


def test_wire_latency_spans_the_servers_clock_to_receipt():
    measurements = Measurements(0.0, 1_000_000.0)
    measurements.received(5.0, 1_000_000_000 + 2_000, 40.0)  # sent at 1,000,002 ms
    assert measurements.wire.values() == [3.0]


def test_paused_messages_get_no_latency_and_reset_clears_everything():
    measurements = Measurements(0.0, 0.0)
    measurements.received(1.0, None, 10.0)
    measurements.skip_unpainted()
    measurements.painted(50.0)
    assert len(measurements.latency) == 0
    measurements.received(60.0, None, 10.0)
    measurements.reset(100.0)
    report = measurements.report("py", "live", 0, 0)
    assert report["handler_us"]["p50"] is None
    assert report["latency_ms"]["n"] == 0


def test_the_report_has_the_shared_schema():
    report = Measurements(0.0, 0.0).report("py", "live", 3, 1)
    assert sorted(report) == sorted(METRIC_KEYS)
    assert sorted(report["latency_ms"]) == ["mean", "n", "p50", "p95", "p99"]
