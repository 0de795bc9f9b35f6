"""Every engine on the real page, driven as a person would: the same behaviour, engine by engine."""

import re
import time
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize

from client.frames import OFF_SCREEN_VIEWS_PER_FRAME
from server.launch import free_port
from tests.conftest import RunningServer, start_server
from tests.e2e.conftest import IS_LIVE, LIVE_TIMEOUT_MS, PageLog, go_live, open_context
from tests.portable.check import METRIC_KEYS

SECONDS_PER_DAY = 86_400
CHANGE_TIMEOUT_MS = 10_000
BOUND_NODES = "[data-field], [data-symbol], [data-book], [data-control], [data-level], [data-list]"
POINTS = (
    "document.querySelector('[data-symbol=\"BTC/USD\"] polyline')"
    ".getAttribute('points').split(' ').length"
)


PAUSED = (
    "() => document.querySelector('[data-control=\"pause\"]').getAttribute('aria-pressed')"
    " === 'true'"
)
TWO_FRAMES = """() => new Promise(
    (done) => requestAnimationFrame(() => requestAnimationFrame(() => done(null)))
)"""


def text_of(page: Page, selector: str) -> str:
    return page.locator(selector).first.inner_text()


def wait_for_change(page: Page, selector: str, before: str) -> None:
    page.wait_for_function(
        "([selector, before]) => document.querySelector(selector).textContent !== before",
        arg=[selector, before],
        timeout=CHANGE_TIMEOUT_MS,
    )


def set_control(page: Page, name: str, value: str) -> None:
    """Move a control the way a person does: the value changes, then input and change fire."""
    page.locator(f'[data-control="{name}"]').evaluate(
        """(element, value) => {
            element.value = value;
            element.dispatchEvent(new Event("input", {bubbles: true}));
            element.dispatchEvent(new Event("change", {bubbles: true}));
        }""",
        value,
    )


def point_count(page: Page, symbol: str = "BTC/USD") -> int:
    points = page.locator(f'[data-symbol="{symbol}"] polyline').get_attribute("points") or ""
    return len(points.split())


# Worker mode (py-worker) has its own suite, tests/e2e/test_worker.py, in a browser of its own.
ENGINES = ("py", "mpy", "js")
ENGINE_LABELS = {
    "py": r"Python · Pyodide \d+\.\d+\.\d+",
    "mpy": r"Python · MicroPython \d+\.\d+\.\d+",
    "js": "JavaScript",
}


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def engine_url(server: RunningServer, engine: str) -> str:
    return f"{server.url}/?engine={engine}"


def page_of(server: RunningServer, engine: str) -> str:
    return f"{server.url}/?engine={engine}"


def test_the_page_shows_loading_then_goes_live_with_its_engine_label(
    page: Page, engine_url: str, engine: str
) -> None:
    page.goto(engine_url)
    page.wait_for_function("() => document.documentElement.dataset.state !== 'ssr'")
    assert page.evaluate("document.documentElement.dataset.state") in ("loading", "live")
    page.wait_for_function(IS_LIVE, timeout=LIVE_TIMEOUT_MS)
    assert text_of(page, '[data-field="state-label"]') == "Live"
    assert re.fullmatch(ENGINE_LABELS[engine], text_of(page, '[data-field="engine-label"]'))


def test_prices_trades_books_and_the_system_panel_update_live(
    page: Page, engine_url: str, engine: str
) -> None:
    go_live(page, engine_url)
    price = '[data-symbol="BTC/USD"] [data-field="price"]'
    newest_trade = 'tbody[data-list="trades"] tr'
    book_size = '[data-book="ETH/USD"] tr[data-level] [data-field="size"]'
    memory = '[data-field="mem_mb"]'
    before = {s: text_of(page, s) for s in (price, newest_trade, book_size)}
    for selector, text in before.items():
        wait_for_change(page, selector, text)
    seq = text_of(page, '[data-field="seq"]')
    wait_for_change(page, '[data-field="seq"]', seq)
    assert text_of(page, memory).replace(",", "").isdigit()


def test_hydration_keeps_every_server_rendered_node(
    browser: Browser, engine_url: str, engine: str
) -> None:
    context = open_context(browser)
    # Tag every bound node before any engine runs; a rebuilt node would lose its tag.
    context.add_init_script(
        f"""document.addEventListener("DOMContentLoaded", () => {{
            window.__ssrNodes = [...document.querySelectorAll({BOUND_NODES!r})];
            window.__ssrNodes.forEach((node) => node.__fromServer = true);
        }});"""
    )
    page = context.new_page()
    go_live(page, engine_url)
    page.wait_for_timeout(500)
    counts = page.evaluate(
        f"""() => {{
            const now = [...document.querySelectorAll({BOUND_NODES!r})];
            return {{before: window.__ssrNodes.length, after: now.length,
                     kept: now.filter((node) => node.__fromServer).length}};
        }}"""
    )
    context.close()
    assert counts["before"] == counts["after"]
    assert counts["kept"] == counts["after"], "every bound node is the one the server sent"


def test_every_book_shows_five_ordered_levels_per_side(
    page: Page, engine_url: str, engine: str
) -> None:
    go_live(page, engine_url)
    ladder = page.locator('[data-book="BTC/USD"]')
    before = ladder.locator('[data-field="price"]').first.inner_text()
    wait_for_change(page, '[data-book="BTC/USD"] [data-field="price"]', before)

    # One read of the whole ladder: the book may change between two separate reads.
    sides = ladder.evaluate(
        """(ladder) => ["ask", "bid"].map((side) => [...ladder.querySelectorAll(
            `tr[data-side="${side}"] [data-field="price"]`)].map((cell) => cell.textContent))"""
    )
    asks, bids = ([float(text.replace(",", "")) for text in side] for side in sides)
    assert len(asks) == len(bids) == 5
    assert asks == sorted(asks, reverse=True), "asks are drawn highest first, best at the spread"
    assert bids == sorted(bids, reverse=True)
    assert bids[0] < asks[-1]


def test_the_frequency_slider_changes_the_measured_rate_for_every_tab(
    browser: Browser, page: Page, fast_server: RunningServer, engine: str
) -> None:
    go_live(page, page_of(fast_server, engine))
    other = open_context(browser)
    other_page = other.new_page()
    go_live(other_page, page_of(fast_server, engine))
    # The 10 ms market is 1400 msgs/s; an engine on a busy machine may handle fewer, and what
    # is tested is that the slider brings the rate down for every tab, not the engine's speed.
    page.wait_for_function("() => window.tickscope.metrics().rate > 600", timeout=CHANGE_TIMEOUT_MS)
    set_control(page, "frequency", "100")
    page.wait_for_function(
        "() => window.tickscope.metrics().rate !== null && window.tickscope.metrics().rate < 300",
        timeout=CHANGE_TIMEOUT_MS,
    )
    other_page.wait_for_function(
        "() => document.querySelector('[data-control=\"frequency\"]').value === '100'",
        timeout=CHANGE_TIMEOUT_MS,
    )
    assert text_of(other_page, '[data-field="frequency"]') == "100 ms"
    other.close()


def test_the_window_select_caps_the_sparkline(
    page: Page, fast_server: RunningServer, engine: str
) -> None:
    go_live(page, page_of(fast_server, engine))
    page.wait_for_function(f"() => {POINTS} === 200", timeout=CHANGE_TIMEOUT_MS)
    set_control(page, "window", "500")
    page.wait_for_function(f"() => {POINTS} > 250", timeout=CHANGE_TIMEOUT_MS)
    assert point_count(page) <= 500
    set_control(page, "window", "200")
    page.wait_for_function(f"() => {POINTS} === 200", timeout=CHANGE_TIMEOUT_MS)
    assert text_of(page, '[data-field="window"]') == "200"


def test_pause_stops_rendering_without_losing_messages(
    page: Page, fast_server: RunningServer, engine: str
) -> None:
    go_live(page, page_of(fast_server, engine))
    page.locator('[data-control="pause"]').click()
    page.wait_for_function(PAUSED, timeout=CHANGE_TIMEOUT_MS)
    # In a worker the click is handled a moment later, and writes it sent before may still
    # be on their way to the page: they land within two frames.
    page.evaluate(TWO_FRAMES)
    price = '[data-symbol="BTC/USD"] [data-field="price"]'
    frozen = text_of(page, price)
    received = page.evaluate("window.tickscope.metrics().received")
    page.wait_for_timeout(500)
    assert text_of(page, price) == frozen
    assert page.evaluate("window.tickscope.metrics().received") > received + 100
    page.locator('[data-control="pause"]').click()
    wait_for_change(page, price, frozen)
    assert page.evaluate("window.tickscope.metrics().gaps") == 0


# For `frames` animation frames, which of the selected nodes changed (text or attributes
# anywhere inside) in each: what the engine drew, frame by frame, as lists of indexes.
DRAWN_PER_FRAME = """([selectors, frames]) => new Promise((done) => {
    let changed = new Set();
    const drawn = [];
    const observers = selectors.map((selector, i) => {
        const observer = new MutationObserver(() => { changed.add(i); });
        observer.observe(document.querySelector(selector),
            {subtree: true, childList: true, characterData: true, attributes: true});
        return observer;
    });
    const frame = () => {
        drawn.push([...changed]);
        changed = new Set();
        if (drawn.length < frames) { requestAnimationFrame(frame); return; }
        observers.forEach((observer) => observer.disconnect());
        done(drawn);
    };
    requestAnimationFrame(frame);
})"""
DRAWN_FRAMES = 120
# The first row of cards; every book below. Then everything.
SHORT_VIEWPORT: ViewportSize = {"width": 1440, "height": 260}
TALL_VIEWPORT: ViewportSize = {"width": 1440, "height": 1600}
ON_SCREEN_MARGIN_PX = 200  # bridge.js and baseline.js draw what is this close as on-screen


def test_off_screen_views_draw_in_turns_and_at_once_when_in_view(
    page: Page, fast_server: RunningServer, engine: str
) -> None:
    page.set_viewport_size(SHORT_VIEWPORT)
    go_live(page, page_of(fast_server, engine))
    symbols = page.eval_on_selector_all(
        "[data-book]", "(nodes) => nodes.map((n) => n.dataset.book)"
    )
    books = [f'[data-book="{symbol}"]' for symbol in symbols]
    tops = [page.locator(book).evaluate("(n) => n.getBoundingClientRect().top") for book in books]
    assert min(tops) > SHORT_VIEWPORT["height"] + ON_SCREEN_MARGIN_PX, "books must be off-screen"
    card = '.card[data-symbol="BTC/USD"]'
    # At 1400 msgs/s every card changes in nearly every frame, and every book in most.
    # Off-screen, the books (with the tape and the system panel) share a few turns a frame.
    frames = page.evaluate(DRAWN_PER_FRAME, [[card, *books], DRAWN_FRAMES])
    assert sum(0 in drawn for drawn in frames) > DRAWN_FRAMES / 2
    books_drawn = [len(drawn) - (0 in drawn) for drawn in frames]
    assert max(books_drawn) <= OFF_SCREEN_VIEWS_PER_FRAME
    assert {index for drawn in frames for index in drawn} == set(range(len(books) + 1))
    # In view, they draw as their data changes: more than the turns would allow.
    page.set_viewport_size(TALL_VIEWPORT)
    page.evaluate(TWO_FRAMES)
    frames = page.evaluate(DRAWN_PER_FRAME, [books, DRAWN_FRAMES])
    assert max(len(drawn) for drawn in frames) > OFF_SCREEN_VIEWS_PER_FRAME


def reset_after_counting(page: Page) -> dict[str, Any]:
    """Once over 600 messages are counted, click Reset; the metrics once counting restarted
    (a worker engine's report comes a moment after the click)."""
    page.wait_for_function(
        "() => window.tickscope.metrics().received > 600", timeout=CHANGE_TIMEOUT_MS
    )
    page.locator('[data-control="reset"]').click()
    page.wait_for_function(
        "() => window.tickscope.metrics().received < 300", timeout=CHANGE_TIMEOUT_MS
    )
    metrics: dict[str, Any] = page.evaluate("window.tickscope.metrics()")
    return metrics


def test_reset_clears_the_measurements(page: Page, engine_url: str, engine: str) -> None:
    go_live(page, engine_url)
    after = reset_after_counting(page)
    # Counting starts again from zero: what arrived since the click is far below what came before.
    assert after["received"] < 300
    assert after["latency_ms"]["n"] < 300


def test_metrics_follow_the_shared_schema(
    page: Page, page_log: PageLog, engine_url: str, engine: str
) -> None:
    go_live(page, engine_url)
    page.wait_for_function(
        "() => window.tickscope.metrics().fps.last !== null", timeout=CHANGE_TIMEOUT_MS
    )
    metrics = page.evaluate("window.tickscope.metrics()")
    assert set(metrics) == set(METRIC_KEYS)
    assert metrics["engine"] == engine
    assert metrics["state"] == "live"
    assert set(metrics["latency_ms"]) == {"mean", "p50", "p95", "p99", "n"}
    assert set(metrics["wire_ms"]) == {"p50", "p95"}
    assert set(metrics["handler_us"]) == {"p50", "p95"}
    assert set(metrics["fps"]) == {"last", "mean", "min"}
    assert metrics["latency_ms"]["n"] > 0
    assert metrics["ready_ms"] > 0
    assert metrics["gaps"] == 0
    assert metrics["batch"] == "auto", "the dashboard batches by default"
    assert metrics["conflated"] == 0
    assert metrics["delivery"] == "full"
    assert metrics["behind"] is False
    assert page_log.errors == []
    assert page_log.foreign_requests() == []


def test_timestamps_above_2_to_the_31_survive_the_engine(
    page: Page, engine_url: str, engine: str
) -> None:
    # Every `ts` is µs since the epoch (~2^50) and performance.timeOrigin is ms since the
    # epoch (~2^40). MicroPython's js bridge wraps integer-valued numbers above 2^31 - 1 to 32
    # bits, so either crossing it as a number would put wire latency off by years and the
    # trade tape's clock anywhere in the day.
    go_live(page, engine_url)
    newest = 'tbody[data-list="trades"] tr td'
    wait_for_change(page, newest, text_of(page, newest))
    page.wait_for_function(
        "() => window.tickscope.metrics().wire_ms.p50 !== null", timeout=CHANGE_TIMEOUT_MS
    )
    wire = page.evaluate("window.tickscope.metrics().wire_ms")
    shown = text_of(page, newest)
    # Page and server read the same machine's clocks; a wrapped number is off by far more.
    assert -1_000 < wire["p50"] <= wire["p95"] < 5_000, wire
    hours, minutes, seconds = (float(part) for part in shown.split(":"))
    apart = abs(hours * 3600 + minutes * 60 + seconds - time.time() % SECONDS_PER_DAY)
    assert min(apart, SECONDS_PER_DAY - apart) < 60, shown


def test_the_engine_switch_keeps_the_window_setting(
    page: Page, engine_url: str, engine: str
) -> None:
    go_live(page, engine_url)
    other = next(name for name in ENGINES if name != engine)
    set_control(page, "window", "500")
    with page.expect_navigation():
        set_control(page, "engine", other)
    assert page.url.endswith(f"/?engine={other}&window=500&batch=auto")
    assert page.evaluate("document.documentElement.dataset.engine") == other
    assert page.locator('[data-control="window"]').input_value() == "500"


PANELS_LOADED = """() => {
  const plot = document.querySelector("[data-chart-plot]").dataset.state === "ready";
  const note = document.querySelector('[data-field="chart-note"]').textContent;
  const answered = !note.startsWith("Loading");
  const code = document.querySelector('[data-panel="code"]');
  const editor = code.querySelector("textarea") === null || code.dataset.editor !== undefined;
  return plot && answered && editor;
}"""


def test_restarting_the_server_reconnects_and_resyncs(
    page: Page, page_log: PageLog, engine: str
) -> None:
    port = free_port()
    with start_server("--seed", "4", port=port) as server:
        go_live(page, page_of(server, engine))
        # The page has fetched all it loads after going live (the chart's library and
        # history, the editor): stopped before that, those requests fail, as they should.
        page.wait_for_function(PANELS_LOADED, timeout=CHANGE_TIMEOUT_MS)
    page.wait_for_function(
        "() => ['reconnecting', 'offline'].includes(document.documentElement.dataset.state)",
        timeout=CHANGE_TIMEOUT_MS,
    )
    assert text_of(page, '[data-field="state-label"]') in ("Reconnecting…", "Offline")
    with start_server("--seed", "5", port=port) as server:
        page.wait_for_function(IS_LIVE, timeout=CHANGE_TIMEOUT_MS * 2)
        price = '[data-symbol="BTC/USD"] [data-field="price"]'
        wait_for_change(page, price, text_of(page, price))
        rows = page.locator('tbody[data-list="trades"] tr').all_inner_texts()
    assert 0 < len(rows) <= 100
    assert len(set(rows)) == len(rows), "no duplicated rows after the resync"
    assert [e for e in page_log.errors if "WebSocket" not in e] == []


def test_a_server_error_shows_as_a_readable_toast(
    browser: Browser, fast_server: RunningServer, engine: str
) -> None:
    context = open_context(browser)
    # Stand in for a client that sends what the server refuses: the page's next control
    # message asks for 5 ms, below the allowed range.
    context.add_init_script(
        """const send = WebSocket.prototype.send;
        WebSocket.prototype.send = function (data) {
            return send.call(this, data.replace(/"frequency_ms":\\s*\\d+/, '"frequency_ms": 5'));
        };"""
    )
    page = context.new_page()
    go_live(page, page_of(fast_server, engine))
    set_control(page, "frequency", "200")
    toast = page.locator(".toast")
    toast.wait_for(timeout=CHANGE_TIMEOUT_MS)
    # One read: a busy page may already be expiring the toast by a second one.
    shown = toast.inner_text()
    assert "out_of_range" in shown
    assert "10 to 1000" in shown
    assert page.evaluate("document.documentElement.dataset.state") == "live"
    context.close()
