"""Worker mode (`?engine=py-worker`): Python in a PyScript worker, the main thread only paints.

What the mode is for: when the Python side cannot keep up with the stream, the page itself
stays responsive, because Python's work no longer runs on the thread that handles input.
"""

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, Worker

from bench.chromium import launch_chromium
from tests.conftest import RunningServer, start_server
from tests.e2e.conftest import (
    LIVE_TIMEOUT_MS,
    PageLog,
    go_live,
    open_context,
    watch,
)
from tests.e2e.test_batching import MODES, READOUT_IS, READOUTS, shown_at_one_seq
from tests.e2e.test_engines import (
    CHANGE_TIMEOUT_MS,
    PAUSED,
    POINTS,
    reset_after_counting,
    set_control,
    text_of,
)

WORKER = "py-worker"
LABEL = r"Python · Pyodide \d+\.\d+\.\d+ in a worker"

# Python in the worker is kept busy for this long by the test itself (a loop on the worker's
# thread, where Pyodide runs): saturated for sure, whatever the machine's speed. A flood of
# messages did it only while the worker stayed behind, which conflation now ends.
BUSY_MS = 8_000
CLICKS = 10
CLICK_PAUSE_S = 0.15
MAX_INPUT_DELAY_MS = 50.0  # the bar: an input event handled within 50 ms
# A click may land in one long layout of a big frame of writes (or a collection) on a busy
# machine; the rest must be prompt.
PROMPT_CLICKS = CLICKS - 1
NEUTRAL = "#prices-title"  # a click the page does nothing with: only the response is measured
HANDLED_TIMEOUT_MS = 20_000
PAUSE = '[data-control="pause"]'

# From each click's creation to its handling on the main thread, and when (wall clock) it was
# handled: the worker's clock is another thread's, so the two compare by Date.now().
RECORD_INPUT_DELAYS = """
() => {
  window.__inputDelays = [];
  window.__handledAt = [];
  document.addEventListener(
    "click",
    (event) => {
      window.__inputDelays.push(performance.now() - event.timeStamp);
      window.__handledAt.push(Date.now());
    },
    { capture: true },
  );
}
"""
# Starts the loop on the worker's thread once this evaluation has returned.
KEEP_BUSY = """
(ms) => {
  setTimeout(() => {
    self.__busyFrom = Date.now();
    while (Date.now() < self.__busyFrom + ms) {}
    self.__busyTo = Date.now();
  }, 0);
}
"""
BUSY_SPAN = "() => [self.__busyFrom, self.__busyTo]"  # answered once the loop has ended


@pytest.fixture(scope="module")
def worker_browser(playwright_session: Playwright) -> Iterator[Browser]:
    """A Chromium of this module's own: a worker page that wedged its renderer (seen once, at
    load) cannot take the rest of the suite's pages with it."""
    browser = launch_chromium(playwright_session)
    yield browser
    browser.close()


@pytest.fixture
def worker_page(worker_browser: Browser) -> Iterator[tuple[Page, PageLog]]:
    context = open_context(worker_browser)
    log = PageLog()
    try:
        yield watch(context.new_page(), log), log
    finally:
        context.close()


@pytest.fixture(scope="module")
def slow_server() -> Iterator[RunningServer]:
    """One tick a second: between ticks every page has the same messages applied."""
    with start_server("--seed", "11", "--frequency-ms", "1000") as running:
        yield running


def test_every_mode_goes_live_in_the_worker_and_shows_what_the_js_engine_shows(
    worker_browser: Browser, slow_server: RunningServer
) -> None:
    contexts = []
    pages: list[Page] = []
    logs: list[PageLog] = []
    try:
        for engine, mode in [("js", "0")] + [(WORKER, mode) for mode in MODES]:
            context = open_context(worker_browser)
            contexts.append(context)
            log = PageLog()
            page = watch(context.new_page(), log)
            go_live(page, f"{slow_server.url}/?engine={engine}&batch={mode}")
            page.wait_for_function(READOUT_IS, arg=READOUTS[mode], timeout=CHANGE_TIMEOUT_MS * 3)
            pages.append(page)
            logs.append(log)
        label = text_of(pages[1], '[data-field="engine-label"]')
        shown = shown_at_one_seq(pages)
        metrics = [page.evaluate("window.tickscope.metrics()") for page in pages]
    finally:
        for context in contexts:
            context.close()
    assert re.fullmatch(LABEL, label), label
    assert len({item["seq"] for item in shown}) == 1, [item["seq"] for item in shown]
    for item in shown[1:]:
        assert item["texts"] == shown[0]["texts"]
    assert [m["engine"] for m in metrics[1:]] == [WORKER] * len(MODES)
    assert [m["batch"] for m in metrics[1:]] == list(MODES)
    assert all(m["gaps"] == 0 for m in metrics)
    assert all(log.errors == [] for log in logs)


def test_the_controls_work_from_the_worker(
    worker_page: tuple[Page, PageLog], fast_server: RunningServer
) -> None:
    page, log = worker_page
    go_live(page, f"{fast_server.url}/?engine={WORKER}")
    page.wait_for_function(f"() => {POINTS} === 200", timeout=CHANGE_TIMEOUT_MS)
    set_control(page, "window", "500")
    page.wait_for_function(f"() => {POINTS} > 250", timeout=CHANGE_TIMEOUT_MS)
    page.locator('[data-control="pause"]').click()
    page.wait_for_function(PAUSED, timeout=CHANGE_TIMEOUT_MS)
    page.locator('[data-control="pause"]').click()
    metrics = reset_after_counting(page)
    assert metrics["engine"] == WORKER
    assert metrics["gaps"] == 0
    assert log.errors == []


@pytest.fixture
def saturated_page(
    worker_browser: Browser, fast_server: RunningServer
) -> Iterator[tuple[Page, PageLog, list[Worker]]]:
    context = open_context(worker_browser)
    log = PageLog()
    page = watch(context.new_page(), log)
    try:
        go_live(page, f"{fast_server.url}/?engine={WORKER}")
        workers = list(page.workers)
        assert workers, "the page runs Python in a worker"
        for worker in workers:
            worker.evaluate(KEEP_BUSY, BUSY_MS)
        yield page, log, workers
    finally:
        context.close()


def test_the_main_thread_handles_input_within_50_ms_while_python_is_saturated(
    saturated_page: tuple[Page, PageLog, list[Worker]],
) -> None:
    page, log, workers = saturated_page
    page.evaluate(RECORD_INPUT_DELAYS)
    for _ in range(CLICKS):
        page.click(NEUTRAL, timeout=LIVE_TIMEOUT_MS)
        time.sleep(CLICK_PAUSE_S)
    delays = page.evaluate("window.__inputDelays")
    handled_at = page.evaluate("window.__handledAt")
    spans = [worker.evaluate(BUSY_SPAN) for worker in workers]
    # Python was saturated throughout: every click was handled while its thread was busy.
    assert any(start <= min(handled_at) and max(handled_at) <= end for start, end in spans), (
        spans,
        handled_at,
    )
    assert len(delays) == CLICKS
    assert sum(delay < MAX_INPUT_DELAY_MS for delay in delays) >= PROMPT_CLICKS, delays
    assert log.errors == []


def test_a_click_still_reaches_the_saturated_worker(
    saturated_page: tuple[Page, PageLog, list[Worker]],
) -> None:
    page, log, _ = saturated_page
    page.click(PAUSE)
    page.wait_for_function(
        f"() => document.querySelector('{PAUSE}').getAttribute('aria-pressed') === 'true'",
        timeout=HANDLED_TIMEOUT_MS,
    )
    assert log.errors == []
