"""Faults a real page must live through: a server that stops sending, messages it cannot read."""

import os
import signal
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, WebSocketRoute

from tests.conftest import RunningServer, start_server
from tests.e2e.conftest import PageLog

ENGINES = ("py", "mpy", "js")
LIVE_TIMEOUT_MS = 60_000
STALE_TIMEOUT_MS = 10_000
STATE_IS = "(state) => document.documentElement.dataset.state === state"
PRICE = '[data-symbol="BTC/USD"] [data-field="price"]'
UNREADABLE = [
    "not json",
    "[1, 2, 3]",
    '{"type": "weather", "seq": 1}',
    '{"type": "price", "symbol": "BTC/USD"}',
    '{"type": "price", "symbol": "BTC/USD", "price": "high", "volume": 1, "ts": 1, "seq": "x"}',
]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def own_server() -> Iterator[RunningServer]:
    with start_server("--seed", "6") as running:
        yield running


def go_live(page: Page, server: RunningServer, engine: str) -> None:
    page.goto(f"{server.url}/?engine={engine}")
    page.wait_for_function(STATE_IS, arg="live", timeout=LIVE_TIMEOUT_MS)


def test_a_server_that_stops_sending_shows_stale_then_live_again(
    page: Page, own_server: RunningServer, engine: str
) -> None:
    go_live(page, own_server, engine)
    os.kill(own_server.process.pid, signal.SIGSTOP)
    try:
        page.wait_for_function(STATE_IS, arg="stale", timeout=STALE_TIMEOUT_MS)
        assert page.locator('[data-field="state-label"]').inner_text() == "Stale"
    finally:
        os.kill(own_server.process.pid, signal.SIGCONT)
    page.wait_for_function(STATE_IS, arg="live", timeout=STALE_TIMEOUT_MS)


def test_unreadable_server_messages_are_skipped_and_logged_once(
    page: Page, page_log: PageLog, own_server: RunningServer, engine: str
) -> None:
    routes: list[WebSocketRoute] = []

    def relay(route: WebSocketRoute) -> None:
        route.connect_to_server()  # everything else passes through unchanged
        routes.append(route)

    page.route_web_socket("**/ws", relay)
    go_live(page, own_server, engine)
    for text in UNREADABLE:
        routes[0].send(text)
    before = page.locator(PRICE).inner_text()
    page.wait_for_function(
        "([selector, before]) => document.querySelector(selector).textContent !== before",
        arg=[PRICE, before],
        timeout=STALE_TIMEOUT_MS,
    )
    assert page.evaluate("document.documentElement.dataset.state") == "live"
    warnings = [line for line in page_log.console if "does not understand" in line]
    assert len(warnings) == 1, warnings
    assert page_log.errors == []
