"""A page on a slow device catches up: the server conflates its stream, the page shows current
prices and says what it skipped, and once the device is fast again it gets every message.

Every engine is slowed until it cannot take ~10,000 msgs/s: Chromium's CPU throttling for the
page's own thread (harder for the JS engine, which takes more), and, for Python in a worker,
which throttling does not reach, stalls of the worker's thread.
"""

import json
import re
import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, CDPSession, Page, Worker
from websockets.sync.client import connect
from websockets.typing import Origin

from client.texts import format_price
from server.conflation import CONFLATE_LEVELS_MS, HOLD_S, MAX_HOLD_S
from tests.conftest import RunningServer, start_server
from tests.e2e.conftest import LIVE_TIMEOUT_MS, PageLog, go_live, open_context, watch

# 57 symbols every 10 ms: ~10,000 msgs/s, more than any engine takes on a slowed CPU.
FLOOD_MS = 10
# No history: it is not what these tests are about, and writing 10,000 msgs/s takes CPU the
# slowed page's timing should not share.
FLOOD = ("--symbols", "57", "--frequency-ms", str(FLOOD_MS), "--seed", "5", "--history", "none")
# Once the page is fast again the market slows to ~2,500 msgs/s: what is tested is the way back
# to full delivery, not whether an unthrottled page takes 10,000 msgs/s on a busy 2-core machine
# (some days a Python page here could not, and then no rung of the ladder ever held).
CALM_MS = 40
TICK_S = 0.01
THROTTLE = {"py": 6, "mpy": 6, "js": 20}  # CPU slowdown: enough for each to fall behind
WORKER = "py-worker"
ENGINES = (*THROTTLE, WORKER)
# The worker's thread stalls for STALL_MS of every second: Python there takes 10,000 msgs/s even
# on a tenth of a CPU given in short slices, but not a stream that piles up while it stalls.
SLOW_WORKER = """
() => {
  self.__slow = setInterval(() => {
    const until = Date.now() + 900;
    while (Date.now() < until) {}
  }, 1000);
}
"""
FAST_WORKER = "() => clearInterval(self.__slow)"
CONFLATED_TIMEOUT_MS = 60_000
PERIOD_TIMEOUT_S = 10.0
CURRENT_TIMEOUT_S = 30.0
# "Current": the page shows one of the prices of the last half second (the bar for
# staleness), which covers one conflation interval and a slowed page's frame.
CURRENT_TICKS = round(0.5 / TICK_S)
# Two of the longest holds on one rung (a busy machine can fail one more probe), a hold on each
# rung above it, and time to notice.
FULL_TIMEOUT_MS = int((2 * MAX_HOLD_S + HOLD_S * len(CONFLATE_LEVELS_MS) + 20) * 1000)
AFTER_RETURN_S = 3.0
SYMBOL = "BTC/USD"
SHOWN_PRICE = f'[data-symbol="{SYMBOL}"] [data-field="price"]'
SNAPSHOT = re.compile(r'<script type="application/json" id="tickscope-snapshot">(.*?)</script>')
DELIVERY_IS = "(mode) => window.tickscope.metrics().delivery === mode"
BANNER = '[data-bind="behind"]'


def set_period(server: RunningServer, frequency_ms: int) -> None:
    """Change the market's period as another tab would, and wait for the server's answer."""
    with connect(server.ws_url, origin=Origin(server.origin), max_size=None) as other_tab:
        other_tab.send(json.dumps({"frequency_ms": frequency_ms}))
        deadline = time.monotonic() + PERIOD_TIMEOUT_S
        while time.monotonic() < deadline:
            message = json.loads(other_tab.recv(timeout=PERIOD_TIMEOUT_S))
            if message.get("type") == "config" and message.get("frequency_ms") == frequency_ms:
                return
    raise AssertionError(f"the server did not take the period {frequency_ms} ms")


@pytest.fixture(scope="module")
def flood_server() -> Iterator[RunningServer]:
    with start_server(*FLOOD) as running:
        yield running


class Slowdown:
    """The slow device, on and off."""

    def __init__(self, page: Page, engine: str) -> None:
        self.page = page
        self.engine = engine
        self.session: CDPSession | None = None
        self.workers: list[Worker] = []

    def on(self) -> None:
        if self.engine == WORKER:
            self.workers = list(self.page.workers)
            assert self.workers, "Python runs in a worker"
            for worker in self.workers:
                worker.evaluate(SLOW_WORKER)
        else:
            self.session = self.page.context.new_cdp_session(self.page)
            self.session.send("Emulation.setCPUThrottlingRate", {"rate": THROTTLE[self.engine]})

    def off(self) -> None:
        for worker in self.workers:
            worker.evaluate(FAST_WORKER)
        if self.session is not None:
            self.session.send("Emulation.setCPUThrottlingRate", {"rate": 1})
            self.session.detach()
            self.session = None


def recent_prices(server: RunningServer) -> list[str]:
    """The server's last CURRENT_TICKS prices of SYMBOL, newest last, as a page shows them."""
    page = httpx.get(f"{server.url}/?engine=js", timeout=10).text
    found = SNAPSHOT.search(page)
    assert found, "the page embeds the server's snapshot"
    history = json.loads(found.group(1))["prices"][SYMBOL]
    return [format_price(price) for price in history[-CURRENT_TICKS:]]


def shows_a_current_price(page: Page, server: RunningServer) -> bool:
    shown = page.locator(SHOWN_PRICE).text_content(timeout=LIVE_TIMEOUT_MS)
    return shown in recent_prices(server)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_slowed_page_is_conflated_shows_current_prices_and_gets_everything_once_fast(
    browser: Browser, flood_server: RunningServer, engine: str
) -> None:
    context = open_context(browser)
    log = PageLog()
    page = watch(context.new_page(), log)
    slowdown = Slowdown(page, engine)
    set_period(flood_server, FLOOD_MS)  # the module's server: an earlier test calmed it
    try:
        go_live(page, f"{flood_server.url}/?engine={engine}")
        slowdown.on()
        page.wait_for_function(DELIVERY_IS, arg="conflated", timeout=CONFLATED_TIMEOUT_MS)
        deadline = time.monotonic() + CURRENT_TIMEOUT_S
        while not shows_a_current_price(page, flood_server):
            assert time.monotonic() < deadline, "the conflated page never showed a current price"
        page.locator(BANNER).wait_for(state="visible", timeout=LIVE_TIMEOUT_MS)
        page.wait_for_function(
            "() => /ticks skipped to keep up/.test("
            "document.querySelector('[data-field=\"behind-text\"]').textContent)",
            timeout=LIVE_TIMEOUT_MS,
        )
        conflated = page.evaluate("window.tickscope.metrics()")
        skipped_shown = page.locator('[data-field="conflated"]').text_content()
        slowdown.off()
        set_period(flood_server, CALM_MS)
        page.wait_for_function(DELIVERY_IS, arg="full", timeout=FULL_TIMEOUT_MS)
        page.evaluate("window.tickscope.reset()")
        time.sleep(AFTER_RETURN_S)
        after = page.evaluate("window.tickscope.metrics()")
        banner_hidden = page.locator(BANNER).is_hidden()
    finally:
        context.close()
    assert conflated["conflated"] > 0
    assert skipped_shown not in ("0", "—")
    assert after["delivery"] == "full"
    assert after["gaps"] == 0, "back on full delivery, nothing is lost"
    assert after["conflated"] == 0
    assert after["received"] > 0
    assert banner_hidden
    assert log.errors == []
