"""`python -m bench.screenshots`: the README's pictures, taken from a real server and Chromium.

Starts `python -m server --port 0` with a fixed seed, opens the live dashboard (the default
Python engine), the chart with a worked example of a Python indicator running, and `/compare`
(both panes live) in Debian's headless Chromium, lets data flow so the sparklines, the chart
and the performance panel have content, and saves `dashboard.png`, `analytics.png` and
`compare.png`. One command refreshes them after the page changes.
"""

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from bench.arguments import positive
from bench.page import IS_LIVE, MS_PER_S, launch
from bench.progress import Progress
from bench.server import start_server

OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "images"
SEED = 7
# 20 ms ticks fill a 200-point sparkline in 4 s.
FREQUENCY_MS = 20
DEFAULT_SETTLE_S = 15.0  # the panel's charts add a point a second: a quarter of their minute
LIVE_TIMEOUT_S = 120.0  # a cold Pyodide start on a busy machine takes seconds
DASHBOARD = "dashboard.png"
COMPARE = "compare.png"
ANALYTICS = "analytics.png"
CHART_QUERY = "&symbol=ETH/USD&indicators=ema,vwap"
EXAMPLE = "zscore"  # the worked example the analytics picture runs
DASHBOARD_VIEWPORT = {"width": 1280, "height": 800}
COMPARE_VIEWPORT = {"width": 1440, "height": 900}
EXIT_FAILED = 1

# The performance panel shows numbers once a frame rate and a latency have been measured.
MEASURED = """
() => {
  const metrics = window.tickscope.metrics();
  return metrics.fps.mean !== null && metrics.latency_ms.n > 0;
}
"""
# /compare: both panes report metrics, both live and measured.
BOTH_LIVE_AND_MEASURED = """
() => {
  const panes = Object.values(window.tickscopeCompare());
  return panes.length === 2
    && panes.every((metrics) => metrics && metrics.state === "live" && metrics.fps.mean !== null);
}
"""


@dataclass(frozen=True)
class Shot:
    """One picture: which page, at what size, and what it waits for before the settle time."""

    name: str
    path: str
    viewport: dict[str, int]
    ready: tuple[str, ...]
    full_page: bool
    act: Callable[[Page], None] | None = None  # what a person does before the picture


def run_example(page: Page) -> None:
    """Pick a worked example, run it, and bring the chart and code panels into view."""
    page.wait_for_selector('[data-panel="code"][data-editor="ready"]')
    page.select_option('[data-control="example"]', EXAMPLE)
    page.locator('[data-control="run-code"]').click()
    page.locator('[data-panel="chart"]').scroll_into_view_if_needed()


SHOTS = (
    # The whole dashboard: the performance panel sits below the first screen.
    Shot(
        DASHBOARD,
        "/?engine=py" + CHART_QUERY,
        DASHBOARD_VIEWPORT,
        (IS_LIVE, MEASURED),
        full_page=True,
    ),
    # The chart and the code panel, with a worked example of an indicator in Python running.
    Shot(
        ANALYTICS,
        "/?engine=py" + CHART_QUERY,
        COMPARE_VIEWPORT,
        (IS_LIVE,),
        full_page=False,
        act=run_example,
    ),
    # The first screen of /compare: the comparison and the tops of both panes.
    Shot(COMPARE, "/compare?a=py&b=js", COMPARE_VIEWPORT, (BOTH_LIVE_AND_MEASURED,), False),
)


def take(browser: Browser, base_url: str, shot: Shot, output: Path, settle_s: float) -> Path:
    context = browser.new_context(viewport=shot.viewport)  # type: ignore[arg-type]
    try:
        page = context.new_page()
        page.goto(base_url + shot.path, timeout=LIVE_TIMEOUT_S * MS_PER_S)
        wait_until(page, shot.ready)
        if shot.act is not None:
            shot.act(page)
        page.wait_for_timeout(settle_s * MS_PER_S)  # data flows: lines and charts fill
        path = output / shot.name
        page.screenshot(path=str(path), full_page=shot.full_page)
        return path
    finally:
        context.close()


def wait_until(page: Page, predicates: tuple[str, ...]) -> None:
    for predicate in predicates:
        page.wait_for_function(predicate, timeout=LIVE_TIMEOUT_S * MS_PER_S)


def take_all(output: Path, settle_s: float, progress: Progress) -> list[Path]:
    output.mkdir(parents=True, exist_ok=True)
    with start_server("--seed", str(SEED), "--frequency-ms", str(FREQUENCY_MS)) as server:
        progress.step(f"server at {server.url}")
        with sync_playwright() as playwright:
            browser = launch(playwright)
            try:
                written = []
                for shot in SHOTS:
                    progress.step(f"{shot.path}: waiting for live, then {settle_s:g} s of data")
                    written.append(take(browser, server.url, shot, output, settle_s))
                    progress.step(f"wrote {written[-1]}")
                return written
            finally:
                browser.close()


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog="python -m bench.screenshots", description=__doc__)
    cli.add_argument(
        "--output", type=Path, default=OUTPUT, help=f"folder for the PNGs (default {OUTPUT})"
    )
    cli.add_argument(
        "--settle",
        type=positive,
        default=DEFAULT_SETTLE_S,
        help=f"seconds of data after going live (default {DEFAULT_SETTLE_S:g})",
    )
    return cli


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    progress = Progress()
    try:
        written = take_all(args.output, args.settle, progress)
    except Exception as error:  # reported, then a failing exit code
        progress.step(f"screenshots FAILED: {type(error).__name__}: {error}")
        return EXIT_FAILED
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
