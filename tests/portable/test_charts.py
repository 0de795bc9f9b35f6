"""The chart math: histogram bins, a second's latency, the panel charts' lines and scale."""

from client.charts import (
    CHART_HEIGHT,
    CHART_WIDTH,
    LATENCY_EDGES_MS,
    SECOND_SAMPLES_SORTED,
    SECONDS_SHOWN,
    SLOT_WIDTH,
    SMALLEST_TOP,
    SecondsChart,
    chart_top,
    count_below,
    figures_of,
    histogram,
    line_points,
    thinned,
)
from client.measure import Measurements
from client.stats import Samples


def parsed(points: str) -> list[tuple[float, float]]:
    pairs = []
    for point in points.split():
        x, y = point.split(",")
        pairs.append((float(x), float(y)))
    return pairs


def test_count_below_is_the_number_of_smaller_values():
    ordered = [1.0, 2.0, 2.0, 3.0, 7.5]
    for limit in (0.0, 1.0, 2.0, 2.5, 3.0, 7.5, 8.0):
        assert count_below(ordered, limit) == len([v for v in ordered if v < limit]), limit
    assert count_below([], 5.0) == 0


def test_histogram_puts_each_latency_in_its_bin_and_keeps_every_one():
    values = sorted([0.2, 0.9, 1.0, 16.4, 16.99, 17.0, 33.9, 45.0, 4999.0, 5000.0, 60000.0])
    counts = histogram(values)
    assert len(counts) == len(LATENCY_EDGES_MS) - 1
    assert sum(counts) == len(values)
    edges = list(LATENCY_EDGES_MS)
    assert counts[edges.index(0)] == 2  # [0, 1)
    assert counts[edges.index(1)] == 1  # [1, 2)
    assert counts[edges.index(16)] == 2  # [16, 17)
    assert counts[edges.index(17)] == 1
    assert counts[edges.index(40)] == 1  # [40, 50)
    assert counts[-2] == 0  # [1000, 2000)
    assert counts[-1] == 3, "the last bin, from 2000 ms, is open-ended"


def test_histogram_of_nothing_is_all_zeros():
    assert histogram([]) == [0] * (len(LATENCY_EDGES_MS) - 1)


def test_a_latency_below_the_first_edge_counts_in_the_first_bin():
    counts = histogram([-0.5, 0.5], (0, 1, 2))
    assert counts == [2, 0]


def test_the_edges_rise():
    edges = list(LATENCY_EDGES_MS)
    assert edges == sorted(edges)
    assert len(set(edges)) == len(edges)


def test_a_seconds_figures_are_the_reference_percentiles_and_the_mean_if_asked():
    values = [float(v) for v in range(100, 0, -1)]  # 100..1
    assert figures_of(values, True) == {"mean": 50.5, "p50": 50.0, "p95": 95.0}
    assert figures_of(values, False)["mean"] is None
    assert figures_of([], True) == {"mean": None, "p50": None, "p95": None}


def test_a_busy_second_is_thinned_to_an_even_spread_before_its_figures():
    values = [float(v) for v in range(1, 10001)]  # a backlog: 10,000 nearly ordered values
    kept = thinned(values)
    assert len(kept) <= SECOND_SAMPLES_SORTED
    assert kept[0] == 1.0
    assert kept[-1] >= 9950.0
    assert kept == sorted(kept)  # every k-th, in order
    figures = figures_of(values, True)
    p50 = figures["p50"]
    p95 = figures["p95"]
    assert p50 is not None
    assert p95 is not None
    assert abs(p50 - 5000.0) <= 100.0
    assert abs(p95 - 9500.0) <= 100.0
    assert thinned([2.0, 1.0]) == [2.0, 1.0]  # a quiet second is kept whole


def test_chart_top_is_the_largest_value_and_never_below_the_smallest_scale():
    assert chart_top([3.0, None, 7.5, 2.0]) == 7.5
    assert chart_top([0.0, 0.2]) == SMALLEST_TOP
    assert chart_top([None, None]) is None
    assert chart_top([]) is None


def test_line_points_put_the_newest_at_the_right_edge_one_slot_a_second():
    points = parsed(line_points([10.0, 20.0, 5.0], 20.0))
    assert [x for x, _ in points] == [
        (SECONDS_SHOWN - 3) * SLOT_WIDTH,
        (SECONDS_SHOWN - 2) * SLOT_WIDTH,
        CHART_WIDTH,
    ]
    # y grows downwards: the top of the scale at 0, zero at the bottom.
    assert [y for _, y in points] == [CHART_HEIGHT / 2, 0, CHART_HEIGHT * 3 / 4]


def test_line_points_round_y_to_whole_units():
    # 1/3 of the height is 33.33 units from the top, 2/3 is 66.67: 67 and 33 from the bottom.
    assert line_points([1.0, 2.0], 3.0).split() == [
        "%d,%d" % (CHART_WIDTH - SLOT_WIDTH, round(CHART_HEIGHT * 2 / 3)),
        "%d,%d" % (CHART_WIDTH, round(CHART_HEIGHT / 3)),
    ]


def test_line_points_keep_the_last_minute_and_skip_empty_seconds():
    values = [float(v) for v in range(SECONDS_SHOWN + 10)]
    points = parsed(line_points(values, float(SECONDS_SHOWN + 10)))
    assert len(points) == SECONDS_SHOWN
    assert points[0][0] == 0.0
    assert all(0 <= y <= CHART_HEIGHT for _, y in points)
    with_gap = parsed(line_points([1.0, None, 1.0], 1.0))
    assert len(with_gap) == 2
    assert line_points([], 1.0) == ""


def test_line_points_clip_values_above_the_top():
    assert parsed(line_points([50.0], 10.0)) == [(CHART_WIDTH, 0.0)]


def test_a_seconds_chart_draws_its_series_on_one_scale_and_names_the_newest():
    chart = SecondsChart(2)
    assert chart.drawn() == (["", ""], None, None)
    chart.add((16.0, 8.0))
    chart.add((None, None))
    chart.add((12.0, 6.0))
    lines, newest, top = chart.drawn()
    assert newest == 12.0
    assert top == 16.0
    assert len(parsed(lines[0])) == 2
    assert parsed(lines[1])[-1] == (CHART_WIDTH, 63)  # 100 - 6 / 16 * 100 = 62.5: halves go up
    for _ in range(SECONDS_SHOWN):
        chart.add((1.0, 1.0))
    lines, newest, top = chart.drawn()
    assert top == SMALLEST_TOP, "seconds older than a minute leave the scale"
    chart.clear()
    assert chart.drawn() == (["", ""], None, None)


def test_samples_give_the_newest_values_across_the_ring():
    samples = Samples(4)
    assert samples.newest(3) == []
    samples.extend([1.0, 2.0, 3.0])
    assert samples.newest(2) == [2.0, 3.0]
    samples.extend([4.0, 5.0, 6.0])
    assert samples.total == 6
    assert samples.newest(3) == [4.0, 5.0, 6.0]
    assert samples.newest(10) == [3.0, 4.0, 5.0, 6.0]
    samples.clear()
    assert samples.total == 0


def test_the_report_has_a_histogram_of_every_latency_and_the_panel_cost():
    measurements = Measurements(0.0, 0.0)
    for received in (1.0, 2.0, 3.0):
        measurements.received(received, None, 10.0)
    measurements.painted(19.5)  # latencies 18.5, 17.5, 16.5
    measurements.panel.add(40.0)
    measurements.panel.add(60.0)
    report = measurements.report("py", "live", 3, 0)
    hist = report["latency_hist"]
    assert hist["edges_ms"] == list(LATENCY_EDGES_MS)
    assert sum(hist["counts"]) == report["latency_ms"]["n"] == 3
    edges = list(LATENCY_EDGES_MS)
    assert [hist["counts"][edges.index(edge)] for edge in (16, 17, 18)] == [1, 1, 1]
    assert report["panel_us"] == {"mean": 50.0, "p95": 40.0}
    measurements.reset(30.0)
    report = measurements.report("py", "live", 0, 0)
    assert report["panel_us"] == {"mean": None, "p95": None}
    assert sum(report["latency_hist"]["counts"]) == 0
