"""The chart, alerts and the user's own indicator in a real browser, per engine, as issue 21's
"done when" walks them: select a symbol, see its candles with history, add two indicators and
alerts (from the form and from the chart), write a five-line Python indicator that plots live,
reload and find the alerts and the code still there."""

import base64
import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.conftest import RunningServer, start_server
from tests.e2e.conftest import PageLog, go_live
from tests.e2e.test_accessibility import assert_accessible

CHART_TIMEOUT_MS = 30_000
FIRE_TIMEOUT_MS = 90_000
HISTORY_CANDLES = 3  # what the server holds before the first page opens
ANALYTICS = "() => window.tickscope.analytics()"
FIVE_LINES = (
    "seen = []\n"
    "def update(bar):\n"
    "    seen.append(bar.c)\n"
    "    del seen[:-3]\n"
    "    return {'mean3': sum(seen) / len(seen)}\n"
)
PYTHON_ENGINES = ["py", "mpy", "py-worker"]


@pytest.fixture(scope="module")
def market() -> Iterator[RunningServer]:
    with start_server("--seed", "21", "--symbols", "BTC/USD,ETH/USD,SOL/USD") as running:
        query = "/api/candles?symbol=ETH/USD&interval=1s"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with urllib.request.urlopen(running.url + query) as answer:
                if len(json.loads(answer.read())["candles"]) >= HISTORY_CANDLES:
                    break
            time.sleep(0.5)
        yield running


def analytics(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(ANALYTICS)
    return result


def wait_for(page: Page, predicate: str, timeout: int = CHART_TIMEOUT_MS) -> None:
    """Until `predicate(analytics())` holds (a JS arrow function's body over `a`)."""
    page.wait_for_function(
        f"() => {{ const a = window.tickscope.analytics(); return {predicate}; }}", timeout=timeout
    )


def type_code(page: Page, code: str) -> None:
    """Type into the code panel's editor as a person does (CodeMirror once it has loaded)."""
    page.wait_for_selector('[data-panel="code"][data-editor="ready"]')
    page.locator('[data-panel="code"] .CodeMirror').click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(code)


def editor_text(page: Page) -> str:
    text: str = page.evaluate(
        "() => document.querySelector('[data-panel=\"code\"] .CodeMirror').CodeMirror.getValue()"
    )
    return text


def select_and_add_indicators(page: Page) -> None:
    page.locator('[data-select="ETH/USD"]').click()
    wait_for(page, "a.symbol === 'ETH/USD'")
    page.wait_for_function(
        "() => document.querySelector('[data-field=\"chart-note\"]').textContent"
        ".includes('bars of history')",
        timeout=CHART_TIMEOUT_MS,
    )
    for name in ("sma", "vwap"):
        page.locator(f'[data-control="indicators"] input[value="{name}"]').check()
    wait_for(page, "a.indicators.vwap !== null && a.indicators.vwap !== undefined")
    assert "symbol=ETH%2FUSD" in page.url
    assert "indicators=sma%2Cvwap" in page.url


def add_alerts_around_the_price(page: Page) -> float:
    """Two alerts from the form, a hair above and below the last price: one fires soon."""
    price = analytics(page)["last_bar"]["c"]
    assert page.locator('[name="alert-symbol"]').input_value() == "ETH/USD"  # the chart's
    for count, target in enumerate((price * 1.0003, price * 0.9997), 1):
        page.fill('[name="alert-price"]', f"{target:.6f}")
        page.locator('[data-control="add-alert"]').click()
        # A person types the next one after seeing this one listed (a worker engine clears
        # the field a moment later).
        wait_for(page, f"a.alerts.length === {count}")
    assert all(alert["symbol"] == "ETH/USD" for alert in analytics(page)["alerts"])
    return float(price)


@pytest.mark.parametrize("engine", [*PYTHON_ENGINES, "js"])
def test_chart_indicators_alerts_and_code_survive_a_reload(
    page: Page, page_log: PageLog, market: RunningServer, engine: str
) -> None:
    go_live(page, f"{market.url}/?engine={engine}")
    select_and_add_indicators(page)
    shown = analytics(page)
    assert shown["interval"] == "1s"
    # The chart took the stored candles (its note counts them), and shows them all: history
    # and live bars share a bucket at most, so it holds at least as many as were stored.
    note = page.locator('[data-field="chart-note"]').inner_text()
    loaded = int(note.split(" bars of history")[0])
    assert loaded >= HISTORY_CANDLES
    assert shown["bars"] >= loaded
    assert set(shown["indicators"]) == {"sma", "vwap"}
    assert page.locator('[data-select="ETH/USD"]').get_attribute("aria-pressed") == "true"

    add_alerts_around_the_price(page)
    page.locator("[data-chart-plot]").click()  # an alert at the price clicked on the chart
    wait_for(page, "a.alerts.length === 3")
    wait_for(page, "a.alerts.some((alert) => alert.fired > 0)", FIRE_TIMEOUT_MS)
    assert page.locator(".toast-alert").count() >= 1
    assert "fired" in page.locator('[data-list="alerts"]').inner_text()

    if engine in PYTHON_ENGINES:
        type_code(page, FIVE_LINES)
        page.locator('[data-control="run-code"]').click()
        wait_for(page, "a.user.state === 'running' && a.user.last !== null")
        wait_for(page, "a.user.last.mean3 > 0")
    else:
        assert "Python engines" in page.locator('[data-panel="code"]').inner_text()
        assert page.locator('[data-control="run-code"]').count() == 0
        assert analytics(page)["user"]["state"] == "none"

    page.reload()
    page.wait_for_function("() => document.documentElement.dataset.state === 'live'")
    after = analytics(page)
    assert after["symbol"] == "ETH/USD"
    assert set(after["indicators"]) == {"sma", "vwap"}
    assert len(after["alerts"]) == 3
    assert any(alert["fired"] > 0 for alert in after["alerts"])
    if engine in PYTHON_ENGINES:
        wait_for(page, "a.user.state === 'running'")
        page.wait_for_selector('[data-panel="code"][data-editor="ready"]')
        assert editor_text(page) == FIVE_LINES
    page.locator('[data-list="alerts"] [data-remove="0"]').click()
    wait_for(page, "a.alerts.length === 2")
    assert page.locator('[data-list="alerts"] li').count() == 2
    assert page_log.foreign_requests() == []
    assert page_log.errors == []


@pytest.mark.parametrize("engine", ["py", "mpy"])
def test_code_from_a_link_waits_for_run_and_errors_show_their_line(
    page: Page, page_log: PageLog, market: RunningServer, engine: str
) -> None:
    broken = "def update(bar):\n    x = bar.c\n    return x / 0\n"
    encoded = base64.urlsafe_b64encode(broken.encode()).decode().rstrip("=")
    go_live(page, f"{market.url}/?engine={engine}#code={encoded}")
    wait_for(page, "a.user.state === 'pending'")
    page.wait_for_selector('[data-panel="code"][data-editor="ready"]')
    assert editor_text(page) == broken
    page.locator('[data-control="run-code"]').click()
    wait_for(page, "a.user.state === 'error'")
    status = page.locator('[data-field="code-status"]').inner_text()
    assert "ZeroDivisionError" in status
    assert "line 3" in status
    assert "Traceback" in page.locator('[data-field="code-error"]').inner_text()
    assert page.locator(".editor-error-line").count() == 1
    # The editor's highlighted code, the marked line and the trace read at WCAG AA contrast.
    assert_accessible(page, f"the code panel with an error, {engine}")
    page.locator('[data-control="share-code"]').click()
    link = page.locator('[data-field="code-link"]')
    link.wait_for(state="visible")
    assert link.input_value().endswith("#code=" + encoded)
    # The stream and the other views go on.
    before = analytics(page)["last_bar"]
    wait_for(page, f"JSON.stringify(a.last_bar) !== {json.dumps(json.dumps(before))}")
    assert page.evaluate("() => document.documentElement.dataset.state") == "live"
    assert page_log.errors == []


def test_a_slow_indicator_is_paused_and_a_bad_alert_is_refused(
    page: Page, page_log: PageLog, market: RunningServer
) -> None:
    go_live(page, f"{market.url}/?engine=py")
    slow = "import time\ndef update(bar):\n    time.sleep(0.02)\n    return bar.c\n"
    type_code(page, slow)
    page.locator('[data-control="run-code"]').click()
    wait_for(page, "a.user.state === 'paused'")
    assert "budget" in page.locator('[data-field="code-status"]').inner_text()
    page.fill('[name="alert-price"]', "cheap")
    page.locator('[data-control="add-alert"]').click()
    assert "number" in page.locator('[data-field="alert-error"]').inner_text()
    page.fill('[name="alert-price"]', "-5")
    page.locator('[data-control="add-alert"]').click()
    assert "positive" in page.locator('[data-field="alert-error"]').inner_text()
    assert analytics(page)["alerts"] == []
    assert page_log.errors == []


def test_the_url_opens_the_chart_it_names(
    page: Page, page_log: PageLog, market: RunningServer
) -> None:
    go_live(page, f"{market.url}/?engine=mpy&symbol=SOL/USD&interval=5s&indicators=rsi,ema")
    shown = analytics(page)
    assert (shown["symbol"], shown["interval"]) == ("SOL/USD", "5s")
    assert set(shown["indicators"]) == {"ema", "rsi"}
    page.select_option('[data-control="interval"]', "1m")
    wait_for(page, "a.interval === '1m'")
    assert "interval=1m" in page.url
    page.select_option('[data-control="engine"]', "js")
    page.wait_for_function("() => document.documentElement.dataset.engine === 'js'")
    page.wait_for_function("() => document.documentElement.dataset.state === 'live'")
    assert (analytics(page)["symbol"], analytics(page)["interval"]) == ("SOL/USD", "1m")
    assert page_log.errors == []


@pytest.mark.parametrize("engine", ["mpy", "js"])
def test_without_history_the_chart_says_so_and_draws_live_bars(
    page: Page, page_log: PageLog, engine: str
) -> None:
    with start_server("--history", "none") as server:
        go_live(page, f"{server.url}/?engine={engine}")
        note = page.locator('[data-field="chart-note"]')
        assert "keeps no history" in note.inner_text()
        wait_for(page, "a.bars >= 2")
    assert not any("/api/candles" in url for url in page_log.requests)
    assert page_log.errors == []
