"""bench.load summarizes latencies by the one percentile rule the pages use (client.stats)."""

from hypothesis import given
from hypothesis import strategies as st

from bench.load import DIGITS, PERCENTILES, latency_summary
from client.stats import percentile

LATENCIES = st.lists(st.floats(min_value=0.0, max_value=1e4, allow_nan=False), min_size=1)


def test_the_median_of_five_is_the_middle_value() -> None:
    # The rule load.py had, round(q * n) - 1 (half to even), picked the second of five.
    assert latency_summary([5.0, 1.0, 4.0, 2.0, 3.0])["p50"] == 3.0


@given(LATENCIES)
def test_each_percentile_is_the_reference_rule(values: list[float]) -> None:
    summary = latency_summary(values)
    ordered = sorted(values)
    for name, q in PERCENTILES.items():
        assert summary[name] == round(percentile(ordered, q), DIGITS)
    assert summary["max"] == round(ordered[-1], DIGITS)


def test_no_latencies_give_no_percentiles() -> None:
    assert latency_summary([]) == {"p50": None, "p95": None, "p99": None, "max": None}
