"""/compare: both engines live side by side on one feed, each on its own main thread."""

from playwright.sync_api import Frame, Page

from tests.conftest import RunningServer

LIVE_TIMEOUT_MS = 60_000
BOTH_LIVE = """() => {
    const panes = window.tickscopeCompare();
    return Boolean(panes.py && panes.js && panes.py.state === "live" && panes.js.state === "live");
}"""
BOTH_MEASURED = """() => {
    const panes = window.tickscopeCompare();
    return panes.py.fps.mean !== null && panes.js.fps.mean !== null;
}"""
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
    return next(frame for frame in page.frames if f"engine={engine}" in frame.url)


def open_compare(page: Page, server: RunningServer) -> None:
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(server.url + "/compare")
    page.wait_for_function(BOTH_LIVE, timeout=LIVE_TIMEOUT_MS)


def test_compare_shows_both_engines_live_and_fills_the_table(
    page: Page, server: RunningServer
) -> None:
    open_compare(page, server)
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
        python, javascript, ratio = rows[metric]
        assert python != "\u2014", metric
        assert javascript != "\u2014", metric
        assert ratio.endswith("\u00d7"), metric
    assert pane(page, "py").evaluate("document.documentElement.dataset.engine") == "py"
    assert pane(page, "js").evaluate("document.documentElement.dataset.engine") == "js"


def test_a_blocked_python_pane_does_not_stop_the_javascript_pane(
    page: Page, server: RunningServer
) -> None:
    open_compare(page, server)
    python, javascript = pane(page, "py"), pane(page, "js")
    assert python.evaluate("location.hostname") != javascript.evaluate("location.hostname")
    python.evaluate(BLOCK_MAIN_THREAD)
    painted = javascript.evaluate(COUNT_FRAMES)
    # On a shared main thread the JS pane would paint no frame at all while Python is blocked.
    assert painted >= 20, f"the JS pane painted {painted} frames in {BLOCK_MS} ms"
