"""The pictures: the performance panel's live latency and FPS charts on every engine, and
/compare's latency distributions of two engines on one chart."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright

from bench.chromium import launch_chromium
from client.charts import CHART_HEIGHT, CHART_WIDTH, LATENCY_EDGES_MS
from tests.conftest import RunningServer
from tests.e2e.conftest import (
    LIVE_TIMEOUT_MS,
    go_live,
    open_context,
)
from tests.e2e.test_compare import BOTH_LIVE

ENGINES = ("py", "mpy", "js")
WORKER = "py-worker"  # in a browser of its own, as in tests/e2e/test_worker.py
CHART_TIMEOUT_MS = 15_000
POINTS_WANTED = 3  # seconds the page has been live, at least
NUMBER = re.compile(r"[\d,]+(\.\d+)?")
PLACEHOLDER = "\u2014"
# How many points each panel chart's lines have, and what their readouts say.
CHARTS = """() => Object.fromEntries([...document.querySelectorAll("[data-chart]")].map((chart) => [
    chart.dataset.chart,
    {
        lines: Object.fromEntries([...chart.querySelectorAll("[data-series]")].map((line) => [
            line.dataset.series,
            (line.getAttribute("points") || "").split(" ").filter(Boolean),
        ])),
        now: chart.querySelector('[data-readout="now"]').textContent,
        max: chart.querySelector('[data-readout="max"]').textContent,
    },
]))"""
CHARTS_HAVE_POINTS = f"""() => [...document.querySelectorAll("[data-chart] [data-series]")]
    .every((line) => (line.getAttribute("points") || "").split(" ").filter(Boolean).length
        >= {POINTS_WANTED})"""
DISTRIBUTION_LINES = """() => [...document.querySelectorAll(
    '[data-chart="distribution"] [data-series]')]
    .map((line) => ({
        engine: line.dataset.series,
        points: (line.getAttribute("points") || "").split(" ").filter(Boolean),
        dash: getComputedStyle(line).strokeDasharray,
        colour: getComputedStyle(line).stroke,
    }))"""
BOTH_DRAWN = f"""() => {{
    const lines = ({DISTRIBUTION_LINES})();
    return lines.length === 2 && lines.every((line) => line.points.length > 3);
}}"""


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def points_in_box(points: list[str]) -> bool:
    for point in points:
        x, y = (float(part) for part in point.split(","))
        if not (0 <= x <= CHART_WIDTH and 0 <= y <= CHART_HEIGHT):
            return False
    return True


def test_the_panel_charts_draw_a_point_a_second_with_readouts(
    page: Page, server: RunningServer, engine: str
) -> None:
    go_live(page, f"{server.url}/?engine={engine}")
    page.wait_for_function(CHARTS_HAVE_POINTS, timeout=CHART_TIMEOUT_MS)
    charts: dict[str, Any] = page.evaluate(CHARTS)
    assert set(charts) == {"latency", "fps"}
    assert set(charts["latency"]["lines"]) == {"p95", "mean"}
    for name, chart in charts.items():
        for series, points in chart["lines"].items():
            assert points_in_box(points), f"{name}/{series}: {points}"
        assert NUMBER.fullmatch(chart["now"]), chart
        assert NUMBER.fullmatch(chart["max"]), chart
        assert float(chart["now"].replace(",", "")) <= float(chart["max"].replace(",", ""))
    # The newest second sits at the right edge.
    assert float(charts["fps"]["lines"]["fps"][-1].split(",")[0]) == CHART_WIDTH


def test_reset_starts_the_charts_again(page: Page, server: RunningServer, engine: str) -> None:
    go_live(page, f"{server.url}/?engine={engine}")
    page.wait_for_function(CHARTS_HAVE_POINTS, timeout=CHART_TIMEOUT_MS)
    page.locator('[data-control="reset"]').click()
    page.wait_for_function(
        """() => document.querySelector('[data-chart="fps"] [data-series="fps"]')
            .getAttribute("points").split(" ").filter(Boolean).length < 3""",
        timeout=CHART_TIMEOUT_MS,
    )


def test_metrics_report_the_panel_cost_and_the_latency_histogram(
    page: Page, server: RunningServer, engine: str
) -> None:
    go_live(page, f"{server.url}/?engine={engine}")
    page.wait_for_function(
        "() => window.tickscope.metrics().panel_us.mean !== null", timeout=CHART_TIMEOUT_MS
    )
    metrics = page.evaluate("window.tickscope.metrics()")
    assert set(metrics["panel_us"]) == {"mean", "p95"}
    assert metrics["panel_us"]["mean"] >= 0
    assert metrics["panel_us"]["p95"] >= 0
    histogram = metrics["latency_hist"]
    assert set(histogram) == {"edges_ms", "counts"}
    assert histogram["edges_ms"] == list(LATENCY_EDGES_MS), "the same bins in every engine"
    assert len(histogram["counts"]) == len(LATENCY_EDGES_MS) - 1
    assert sum(histogram["counts"]) == metrics["latency_ms"]["n"]


@pytest.fixture(scope="module")
def worker_browser(playwright_session: Playwright) -> Iterator[Browser]:
    browser = launch_chromium(playwright_session)
    yield browser
    browser.close()


def test_the_worker_engine_draws_the_charts_and_reports_the_same_schema(
    worker_browser: Browser, server: RunningServer
) -> None:
    context = open_context(worker_browser)
    page = context.new_page()
    try:
        go_live(page, f"{server.url}/?engine={WORKER}")
        page.wait_for_function(CHARTS_HAVE_POINTS, timeout=CHART_TIMEOUT_MS)
        charts: dict[str, Any] = page.evaluate(CHARTS)
        for chart in charts.values():
            assert NUMBER.fullmatch(chart["now"]), chart
        metrics = page.evaluate("window.tickscope.metrics()")
    finally:
        context.close()
    assert set(metrics["panel_us"]) == {"mean", "p95"}
    assert metrics["latency_hist"]["edges_ms"] == list(LATENCY_EDGES_MS)
    assert sum(metrics["latency_hist"]["counts"]) == metrics["latency_ms"]["n"]


def test_without_javascript_the_charts_frames_are_served(
    static_page: Page, dashboard_url: str
) -> None:
    static_page.goto(dashboard_url)
    for name in ("latency", "fps"):
        chart = static_page.locator(f'[data-chart="{name}"]')
        plot = chart.locator("svg")
        assert plot.get_attribute("role") == "img"
        assert "last minute" in (plot.get_attribute("aria-label") or "")
        assert plot.get_attribute("viewBox") == f"0 0 {CHART_WIDTH:g} {CHART_HEIGHT:g}"
        assert chart.locator('[data-readout="now"]').inner_text() == PLACEHOLDER
        assert chart.locator("[aria-live]").count() == 0


def test_compare_plots_both_latency_distributions(page: Page, server: RunningServer) -> None:
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(server.url + "/compare?a=mpy&b=js")
    page.wait_for_function(BOTH_LIVE, timeout=LIVE_TIMEOUT_MS)
    page.wait_for_function(BOTH_DRAWN, timeout=CHART_TIMEOUT_MS)
    lines = page.evaluate(DISTRIBUTION_LINES)
    assert {line["engine"] for line in lines} == {"mpy", "js"}
    assert lines[0]["dash"] != lines[1]["dash"], "told apart without colour"
    assert lines[0]["colour"] != lines[1]["colour"]
    for line in lines:
        fractions = [float(point.split(",")[1]) for point in line["points"]]
        assert fractions == sorted(fractions, reverse=True), "a CDF only rises (y grows down)"
    chart = page.locator('[data-chart="distribution"]')
    assert chart.locator("svg").get_attribute("role") == "img"
    legend = chart.locator(".chart-legend").inner_text()
    assert "MicroPython" in legend
    assert "JavaScript" in legend
    # Chart and table side by side on a wide screen.
    table_box = page.locator(".compare-table").bounding_box()
    chart_box = chart.bounding_box()
    assert table_box is not None
    assert chart_box is not None
    assert abs(table_box["y"] - chart_box["y"]) < table_box["height"]
    assert chart_box["x"] != table_box["x"]
