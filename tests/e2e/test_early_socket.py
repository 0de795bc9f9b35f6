"""The MicroPython and Pyodide pages open their WebSocket before the runtime starts
(public/connect.js) and the engine adopts it: what the socket heard meanwhile reaches the engine
whole and in order.

The runtime is held back (its wasm request is parked) until the socket has heard enough, so
the buffering is certain rather than a matter of timing. Every socket the page opens is watched
from an init script, independently of the page's own handlers.
"""

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, WebSocketRoute

from tests.conftest import RunningServer, start_server
from tests.e2e.conftest import (
    IS_LIVE,
    LIVE_TIMEOUT_MS,
    WATCH_SOCKETS,
    PageLog,
    close_keeping_artifacts,
    open_context,
    watch,
)

SETTLE_MS = 1_000
POLL_MS = 50
HEARD_BEFORE_START = 20  # messages the early socket hears before the runtime may start
EARLY_MESSAGES_KEPT = 250  # public/connect.js: past this the early socket is given up
NORMAL_CLOSURE = 1000
SERVICE_RESTART = 1012
WASMS = {"mpy": "**/micropython.wasm", "py": "**/pyodide.asm.wasm"}

# One evaluation, so the socket's count and the engine's describe the same instant.
SNAPSHOT = "() => ({sockets: window.__sockets, metrics: window.tickscope.metrics()})"


class HeldRuntime:
    """Parks the page's requests for its runtime's wasm until `release()`."""

    def __init__(self, page: Page, engine: str = "mpy") -> None:
        self.parked: list[Route] = []
        self.released = False
        page.route(WASMS[engine], self._on_request)

    def _on_request(self, route: Route) -> None:
        if self.released:
            route.continue_()
        else:
            self.parked.append(route)

    def release(self) -> None:
        self.released = True
        for route in self.parked:
            route.continue_()
        self.parked = []


@pytest.fixture
def watched_page(
    request: pytest.FixtureRequest, browser: Browser, page_log: PageLog
) -> Iterator[Page]:
    context = open_context(browser)
    context.add_init_script(WATCH_SOCKETS)
    page = watch(context.new_page(), page_log)
    yield page
    close_keeping_artifacts(request, context, page, page_log)


@pytest.fixture
def slow_server() -> Iterator[RunningServer]:
    """~70 messages/s: seconds of margin before the early socket's buffer is full, however
    slowly the runtime starts once released."""
    with start_server("--seed", "3", "--frequency-ms", "200") as running:
        yield running


def open_held(page: Page, server: RunningServer, heard: str, engine: str = "mpy") -> None:
    """Open `engine`'s page with its runtime held back until `heard` holds."""
    held = HeldRuntime(page, engine)
    # Unbatched: each message the socket hears is one the store counts.
    page.goto(f"{server.url}/?engine={engine}&batch=0", wait_until="commit")
    page.wait_for_function(heard, timeout=LIVE_TIMEOUT_MS)
    assert page.evaluate("() => document.documentElement.dataset.state") != "live"
    held.release()
    page.wait_for_function(IS_LIVE, timeout=LIVE_TIMEOUT_MS)
    page.wait_for_timeout(SETTLE_MS)


def wait_until(page: Page, condition: Callable[[], bool]) -> None:
    """Wait for a condition on what Playwright's routes saw (they report while the page is
    being waited on)."""
    deadline = time.monotonic() + LIVE_TIMEOUT_MS / 1000
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(POLL_MS)


def check_whole_and_in_order(seen: dict[str, Any], metrics: dict[str, Any]) -> None:
    # The store counts every message it is handed, and a gap for any seq it did not see
    # before a later one: a lost message or two swapped ones would show here.
    assert metrics["received"] == seen["messages"]
    assert metrics["gaps"] == 0
    assert metrics["ready_ms"] is not None


@pytest.mark.parametrize("engine", list(WASMS))
def test_the_engine_adopts_the_early_socket_and_gets_all_it_heard_in_order(
    watched_page: Page, slow_server: RunningServer, page_log: PageLog, engine: str
) -> None:
    open_held(
        watched_page,
        slow_server,
        f"() => window.__sockets.length > 0 && window.__sockets[0].messages >= "
        f"{HEARD_BEFORE_START}",
        engine,
    )
    state = watched_page.evaluate(SNAPSHOT)
    [socket] = state["sockets"]  # adopted: the engine opened no socket of its own
    assert socket["closed"] is None
    assert socket["messages"] > HEARD_BEFORE_START  # and it kept streaming into the engine
    check_whole_and_in_order(socket, state["metrics"])
    assert page_log.errors == []


def test_an_early_socket_that_heard_too_much_is_given_up_for_a_fresh_one(
    watched_page: Page, fast_server: RunningServer, page_log: PageLog
) -> None:
    open_held(
        watched_page,
        fast_server,
        f"() => window.__sockets.length > 0 && window.__sockets[0].closed === {NORMAL_CLOSURE}",
    )
    state = watched_page.evaluate(SNAPSHOT)
    early, fresh = state["sockets"]
    assert early["messages"] > EARLY_MESSAGES_KEPT
    assert fresh["closed"] is None
    check_whole_and_in_order(fresh, state["metrics"])
    assert page_log.errors == []


def test_an_early_socket_that_closed_before_the_engine_started_is_reopened(
    page: Page, slow_server: RunningServer, page_log: PageLog
) -> None:
    # Playwright's WebSocket routing stands in for the page's WebSocket class, so this test
    # watches the sockets from the routes rather than with WATCH_SOCKETS.
    routes: list[WebSocketRoute] = []
    heard: list[int] = []  # messages each route passed to the page
    closed: set[int] = set()  # routes closed on the page's side: they pass nothing more
    # Once set, nothing more is passed, so what the page counts can catch up with `heard`.
    stopped: list[bool] = []

    def relay(route: WebSocketRoute) -> None:
        server = route.connect_to_server()
        index = len(heard)
        heard.append(0)

        def forward(message: str | bytes) -> None:
            if index not in closed and not stopped:
                heard[index] += 1
                route.send(message)

        server.on_message(forward)
        routes.append(route)

    page.route_web_socket("**/ws*", relay)
    held = HeldRuntime(page)
    page.goto(f"{slow_server.url}/?engine=mpy&batch=0", wait_until="commit")
    wait_until(page, lambda: bool(routes) and heard[0] >= HEARD_BEFORE_START)
    closed.add(0)
    routes[0].close(code=SERVICE_RESTART, reason="restarting a proxy")
    assert page.evaluate("() => document.documentElement.dataset.state") != "live"
    held.release()
    page.wait_for_function(IS_LIVE, timeout=LIVE_TIMEOUT_MS)
    wait_until(page, lambda: len(routes) > 1 and heard[1] > 0)
    # The engine heard the early socket close and connected again, resuming where the
    # snapshot the early socket brought left off: nothing lost, no second snapshot.
    assert len(routes) == 2
    assert "resume_from=" in routes[1].url
    page.wait_for_timeout(SETTLE_MS)
    stopped.append(True)
    page.wait_for_timeout(SETTLE_MS)  # what was passed arrives
    metrics = page.evaluate("window.tickscope.metrics()")
    assert metrics["gaps"] == 0
    assert metrics["received"] == sum(heard)
    assert page_log.errors == []


@pytest.mark.parametrize("engine", ["js"])
def test_other_engines_open_one_socket_of_their_own(
    watched_page: Page, server: RunningServer, engine: str
) -> None:
    # Unbatched: each message the socket hears is one the store counts.
    watched_page.goto(f"{server.url}/?engine={engine}&batch=0")
    watched_page.wait_for_function(IS_LIVE, timeout=LIVE_TIMEOUT_MS)
    state = watched_page.evaluate(SNAPSHOT)
    [socket] = state["sockets"]
    assert socket["closed"] is None
    check_whole_and_in_order(socket, state["metrics"])
