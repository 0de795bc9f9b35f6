"""Faults a real page must live through: a server that stops sending, messages it cannot read."""

import os
import signal
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, WebSocketRoute

from tests.conftest import RunningServer, start_server
from tests.e2e.conftest import PageLog

# Not py-worker: these faults are injected through Playwright's WebSocket routing, which does
# not reach a socket that a worker opens.
ENGINES = ("py", "mpy", "js")
LIVE_TIMEOUT_MS = 60_000
STALE_TIMEOUT_MS = 10_000
STATE_IS = "(state) => document.documentElement.dataset.state === state"
PRICE = '[data-symbol="BTC/USD"] [data-field="price"]'
# ENGINE_SOCKET: the engine's socket is the newest route. The MicroPython page opens its socket
# before the runtime starts and the engine adopts it (public/connect.js), but gives it up for a
# fresh one when the runtime starts too slowly (tests/e2e/test_early_socket.py).
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
        routes[-1].send(text)  # ENGINE_SOCKET
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


def test_a_gap_notice_is_counted_and_shown_to_the_person(
    page: Page, own_server: RunningServer, engine: str
) -> None:
    routes: list[WebSocketRoute] = []

    def relay(route: WebSocketRoute) -> None:
        route.connect_to_server()
        routes.append(route)

    page.route_web_socket("**/ws", relay)
    go_live(page, own_server, engine)
    page.evaluate("window.tickscope.reset()")
    engine_socket = routes[-1]  # ENGINE_SOCKET
    engine_socket.send('{"type": "gap", "first": 1, "last": 12, "reason": "Redis restarted"}')
    toast = page.locator('[data-list="toasts"]')
    toast.get_by_text("12 messages were lost (Redis restarted)").wait_for(timeout=STALE_TIMEOUT_MS)
    assert page.evaluate("window.tickscope.metrics().gaps") >= 12


def test_a_dropped_connection_resumes_where_it_stopped_without_a_snapshot(
    page: Page, own_server: RunningServer, engine: str
) -> None:
    routes: list[WebSocketRoute] = []
    first_frames: list[str] = []

    def relay(route: WebSocketRoute) -> None:
        server = route.connect_to_server()
        frames: list[str] = []

        def forward(message: str | bytes) -> None:
            if not frames:
                first_frames.append(str(message))
            frames.append("")
            route.send(message)

        server.on_message(forward)
        routes.append(route)

    page.route_web_socket("**/ws*", relay)
    go_live(page, own_server, engine)
    page.evaluate("window.tickscope.reset()")
    opened = len(routes)
    routes[-1].close(code=1012, reason="restarting a proxy")  # ENGINE_SOCKET
    page.wait_for_function("() => document.documentElement.dataset.state !== 'live'")
    page.wait_for_function(STATE_IS, arg="live", timeout=STALE_TIMEOUT_MS)
    assert len(routes) == opened + 1
    assert "resume_from=" in routes[-1].url
    assert "market=" in routes[-1].url
    assert '"type":"config"' in first_frames[-1].replace(" ", ""), first_frames[-1][:80]
    page.wait_for_function("() => window.tickscope.metrics().received > 100")
    assert page.evaluate("window.tickscope.metrics().gaps") == 0
