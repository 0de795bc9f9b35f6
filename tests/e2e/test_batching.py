"""Batched frames on the real page: every engine in every mode shows the same market."""

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page

from tests.conftest import RunningServer, start_server
from tests.e2e.conftest import PageLog, go_live, open_context, watch
from tests.e2e.test_engines import CHANGE_TIMEOUT_MS, ENGINES, set_control, text_of

MODES = ("0", "16", "auto")
READOUTS = {"0": "off", "16": "16 ms", "auto": "auto · off"}  # auto on an idle stream: off
SAME_SEQ_TIMEOUT_S = 30.0
BEHIND_TIMEOUT_MS = 45_000
POLL_MS = 100
# The banner's text, at a moment the banner shows and metrics() says the page is behind.
BEHIND_SHOWN = """() => {
  const banner = document.querySelector('[data-bind="behind"]');
  const shown = banner.checkVisibility() && window.tickscope.metrics().behind === true;
  return shown ? document.querySelector('[data-field="behind-text"]').textContent : null;
}"""
# DevTools' CPU throttling rate: a CPU this many times slower. Pyodide and JavaScript take
# 5600 msgs/s one at a time on half this CPU on a quiet machine, so they get slower ones.
THROTTLED_CPU = {"py": 4, "mpy": 2, "js": 6}
READOUT_IS = "(text) => document.querySelector('[data-field=\"batch\"]').textContent === text"
# The texts a person reads: every card, ladder, the system panel and the newest trades; and
# every sparkline where the browser draws it. (A sparkline's points count ticks since the page
# loaded, so they differ by design; its transform maps them into the box.)
SHOWN = """
() => ({
  seq: document.querySelector('[data-field="seq"]').textContent,
  texts: [...document.querySelectorAll(
    '.card [data-field]:not([data-field="sparkline"]), [data-book] [data-field], '
    + '[data-panel="system"] [data-field], tbody[data-list="trades"] tr'
  )].map((node) => node.style.transform || node.textContent),
  lines: [...document.querySelectorAll('.card polyline')].map((line) => {
    const transform = line.transform.baseVal.consolidate();
    const m = transform === null ? new DOMMatrix() : transform.matrix;
    return [...line.points].map((p) => [m.a * p.x + m.c * p.y + m.e, m.b * p.x + m.d * p.y + m.f]);
  })
})
"""
DRAWN_TOLERANCE = 0.06  # box units: the reference rounds each coordinate to 0.1


def same_lines(drawn: list[list[list[float]]], expected: list[list[list[float]]]) -> bool:
    """Whether two pages draw every sparkline in the same place."""
    if [len(line) for line in drawn] != [len(line) for line in expected]:
        return False
    return all(
        abs(a - b) <= DRAWN_TOLERANCE
        for line, other in zip(drawn, expected, strict=True)
        for point, other_point in zip(line, other, strict=True)
        for a, b in zip(point, other_point, strict=True)
    )


@pytest.fixture(scope="module")
def slow_server() -> Iterator[RunningServer]:
    """One tick a second: between ticks every page has the same messages applied."""
    with start_server("--seed", "11", "--frequency-ms", "1000") as running:
        yield running


def shown_at_one_seq(pages: list[Page]) -> list[dict[str, Any]]:
    """What every page shows, read once they all show the same seq and have painted it (on a
    busy machine a page may be a frame or a panel refresh behind at any one read)."""
    deadline = time.monotonic() + SAME_SEQ_TIMEOUT_S
    while True:
        # The panel's seq refreshes every 250 ms: wait that out after the last message.
        time.sleep(0.4)
        shown = [page.evaluate(SHOWN) for page in pages]
        settled = len({item["seq"] for item in shown}) == 1
        if settled and all(
            item["texts"] == shown[0]["texts"] and same_lines(item["lines"], shown[0]["lines"])
            for item in shown
        ):
            return shown
        if time.monotonic() > deadline:
            return shown


def test_every_engine_and_mode_goes_live_and_shows_the_same_values(
    browser: Browser, slow_server: RunningServer
) -> None:
    pages: list[Page] = []
    logs: list[PageLog] = []
    contexts = []
    try:
        for engine in ENGINES:
            for mode in MODES:
                context = open_context(browser)
                contexts.append(context)
                log = PageLog()
                page = watch(context.new_page(), log)
                go_live(page, f"{slow_server.url}/?engine={engine}&batch={mode}")
                page.wait_for_function(
                    READOUT_IS,
                    arg=READOUTS[mode],
                    timeout=CHANGE_TIMEOUT_MS * 3,
                )
                pages.append(page)
                logs.append(log)
        shown = shown_at_one_seq(pages)
        metrics = [page.evaluate("window.tickscope.metrics()") for page in pages]
    finally:
        for context in contexts:
            context.close()
    assert len({item["seq"] for item in shown}) == 1, [item["seq"] for item in shown]
    first = shown[0]
    for item in shown[1:]:
        assert item["texts"] == first["texts"]
        assert same_lines(item["lines"], first["lines"]), "a sparkline is drawn elsewhere"
    assert all(len(line) > 1 for line in first["lines"]), "every card draws its line"
    assert [m["batch"] for m in metrics] == list(MODES) * len(ENGINES)
    assert all(m["gaps"] == 0 for m in metrics)
    assert all(log.errors == [] for log in logs)


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fast_server() -> Iterator[RunningServer]:
    # 8 symbols every 20 ms: 700 msgs/s, enough for auto to batch, light enough for any mode.
    with start_server("--seed", "3", "--frequency-ms", "20") as running:
        yield running


@pytest.fixture
def flood_server() -> Iterator[RunningServer]:
    # 32 symbols every 10 ms: 5600 msgs/s. No history: writing it would take CPU the page's
    # timing should not share.
    with start_server(
        "--seed", "3", "--frequency-ms", "10", "--symbols", "32", "--history", "none"
    ) as running:
        yield running


def test_switching_batching_on_the_page_loses_nothing(
    page: Page, page_log: PageLog, fast_server: RunningServer, engine: str
) -> None:
    go_live(page, f"{fast_server.url}/?engine={engine}&batch=0")
    readout = '[data-field="batch"]'
    assert text_of(page, readout) == "off"
    for mode, shown in (("16", "16 ms"), ("auto", "auto · "), ("50", "50 ms"), ("0", "off")):
        set_control(page, "batch", mode)
        page.wait_for_function(
            "(text) => document.querySelector('[data-field=\"batch\"]').textContent"
            + ".startsWith(text)",
            arg=shown,
            timeout=CHANGE_TIMEOUT_MS,
        )
        page.wait_for_timeout(1500)
        if mode == "auto":
            assert text_of(page, readout) != "auto · off", "auto did not batch 700 msgs/s"
    metrics = page.evaluate("window.tickscope.metrics()")
    assert metrics["gaps"] == 0
    assert metrics["batch"] == "0"
    assert page_log.errors == []


def test_the_batch_setting_survives_an_engine_switch(
    page: Page, fast_server: RunningServer
) -> None:
    go_live(page, f"{fast_server.url}/?engine=js&batch=auto")
    with page.expect_navigation():
        set_control(page, "engine", "py")
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"engine": ["py"], "window": ["200"], "batch": ["auto"]}
    assert page.locator('[data-control="batch"]').input_value() == "auto"


def test_an_unknown_batch_parameter_falls_back_to_the_default_auto(
    page: Page, fast_server: RunningServer
) -> None:
    page.goto(f"{fast_server.url}/?engine=js&batch=fast")
    assert page.locator('[data-control="batch"]').input_value() == "auto"
    page.goto(f"{fast_server.url}/?engine=js&batch=25")
    assert page.locator('[data-control="batch"]').input_value() == "25"


def test_a_page_that_falls_behind_says_so_and_offers_batching(
    page: Page, flood_server: RunningServer, engine: str
) -> None:
    go_live(page, f"{flood_server.url}/?engine={engine}&batch=0")
    # (The server renders the banner hidden: tests/integration/test_http.py.)
    # A CPU half as fast: 5600 msgs/s one at a time is more than this page can take, in any
    # engine. (At a quarter, MicroPython's page took in ~30 msgs/s and answered Playwright
    # too slowly for the test to read it.)
    session = page.context.new_cdp_session(page)
    session.send("Emulation.setCPUThrottlingRate", {"rate": THROTTLED_CPU[engine]})
    try:
        # Read in one go: the server soon conflates a page this far behind, and it catches up.
        shown = page.wait_for_function(
            BEHIND_SHOWN, timeout=BEHIND_TIMEOUT_MS, polling=POLL_MS
        ).json_value()
        assert "ms late" in shown
        assert "auto batching" in shown
    finally:
        session.send("Emulation.setCPUThrottlingRate", {"rate": 1})
        session.detach()
    # A click as the page receives it (a page this far behind is slow to show hit targets).
    page.locator('[data-control="batch-auto"]').dispatch_event("click")
    # (An engine in a worker handles the click a moment later.)
    page.wait_for_function(
        "() => document.querySelector('[data-control=\"batch\"]').value === 'auto'",
        timeout=BEHIND_TIMEOUT_MS,
    )
    # The server's answer queues behind the backlog the page has yet to read.
    page.wait_for_function(
        "() => document.querySelector('[data-field=\"batch\"]').textContent"
        + ".startsWith('auto · ')",
        timeout=BEHIND_TIMEOUT_MS,
    )
