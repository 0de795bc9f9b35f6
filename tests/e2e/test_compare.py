"""/compare: two engines live side by side on one feed, each on its own main thread."""

import pytest
from playwright.sync_api import Frame, Page

from tests.conftest import RunningServer

LIVE_TIMEOUT_MS = 60_000
BOTH_LIVE = """() => {
    const panes = Object.values(window.tickscopeCompare());
    return panes.length === 2 && panes.every((metrics) => metrics && metrics.state === "live");
}"""
BOTH_MEASURED = """() => Object.values(window.tickscopeCompare())
    .every((metrics) => metrics.fps.mean !== null)"""
BLOCK_MS = 2000
# Counts the animation frames a pane paints over BLOCK_MS.
COUNT_FRAMES = f"""new Promise((resolve) => {{
    let frames = 0;
    const start = performance.now();
    const tick = () => {{
        frames++;
        if (performance.now() - start < {BLOCK_MS}) requestAnimationFrame(tick);
        else resolve(frames);
    }};
    requestAnimationFrame(tick);
}})"""
# Holds a pane's main thread for longer than the count above runs.
BLOCK_MAIN_THREAD = f"""setTimeout(() => {{
    const start = performance.now();
    while (performance.now() - start < {BLOCK_MS + 500}) {{}}
}}, 0)"""


def pane(page: Page, engine: str) -> Frame:
    return next(frame for frame in page.frames if f"engine={engine}&" in frame.url)


def open_compare(page: Page, server: RunningServer, query: str = "") -> None:
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(server.url + "/compare" + query)
    page.wait_for_function(BOTH_LIVE, timeout=LIVE_TIMEOUT_MS)


@pytest.mark.parametrize(("left", "right"), [("py", "js"), ("mpy", "py")])
def test_compare_shows_both_engines_live_and_fills_the_table(
    page: Page, server: RunningServer, left: str, right: str
) -> None:
    open_compare(page, server, f"?a={left}&b={right}")
    page.wait_for_function(BOTH_MEASURED, timeout=LIVE_TIMEOUT_MS)
    page.wait_for_timeout(600)  # one more poll, so the table shows what the panes report
    rows = {
        row[0]: row[1:]
        for row in (
            line.split("\t")
            for line in page.locator('tbody[data-list="comparison"]').inner_text().splitlines()
        )
    }
    for metric in ("Rate (msg/s)", "Received", "Latency p95 (ms)", "FPS mean", "Ready (ms)"):
        first, second, ratio = rows[metric]
        assert first != "\u2014", metric
        assert second != "\u2014", metric
        assert ratio.endswith("\u00d7"), metric
    for engine in (left, right):
        assert pane(page, engine).evaluate("document.documentElement.dataset.engine") == engine


@pytest.mark.parametrize("python", ["py", "mpy"])
def test_a_blocked_python_pane_does_not_stop_the_javascript_pane(
    page: Page, server: RunningServer, python: str
) -> None:
    open_compare(page, server, f"?a={python}&b=js")
    blocked, javascript = pane(page, python), pane(page, "js")
    assert blocked.evaluate("location.hostname") != javascript.evaluate("location.hostname")
    blocked.evaluate(BLOCK_MAIN_THREAD)
    painted = javascript.evaluate(COUNT_FRAMES)
    # On a shared main thread the JS pane would paint no frame at all while Python is blocked.
    assert painted >= 20, f"the JS pane painted {painted} frames in {BLOCK_MS} ms"


def test_picking_an_engine_compares_it(page: Page, server: RunningServer) -> None:
    open_compare(page, server)
    assert set(page.evaluate("Object.keys(window.tickscopeCompare())")) == {"py", "js"}
    with page.expect_navigation():
        page.locator('[data-compare="a"]').select_option("mpy")
    assert page.url.endswith("/compare?a=mpy&b=js")
    page.wait_for_function(BOTH_LIVE, timeout=LIVE_TIMEOUT_MS)
    assert set(page.evaluate("Object.keys(window.tickscopeCompare())")) == {"mpy", "js"}
