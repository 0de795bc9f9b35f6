"""The MicroPython page opens its WebSocket before the runtime starts (public/connect.js) and the
engine adopts it: what the socket heard meanwhile reaches the engine whole and in order.

The runtime is held back (its wasm request is parked) until the socket has heard enough, so
the buffering is certain rather than a matter of timing. Every socket the page opens is watched
from an init script, independently of the page's own handlers.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route

from tests.conftest import RunningServer, start_server
from tests.e2e.conftest import PageLog, open_context, watch

LIVE_TIMEOUT_MS = 60_000
SETTLE_MS = 1_000
HEARD_BEFORE_START = 20  # messages the early socket hears before the runtime may start
EARLY_MESSAGES_KEPT = 250  # public/connect.js: past this the early socket is given up
NORMAL_CLOSURE = 1000
WASM = "**/micropython.wasm"

# Each socket the page opens: how many messages it delivered, and how it closed.
WATCH_SOCKETS = """
(() => {
  const sockets = [];
  window.__sockets = sockets;
  window.WebSocket = class extends WebSocket {
    constructor(...args) {
      super(...args);
      const seen = { url: String(args[0]), messages: 0, closed: null };
      sockets.push(seen);
      this.addEventListener("message", () => { seen.messages += 1; });
      this.addEventListener("close", (event) => { seen.closed = event.code; });
    }
  };
})();
"""
# One evaluation, so the socket's count and the engine's describe the same instant.
SNAPSHOT = "() => ({sockets: window.__sockets, metrics: window.tickscope.metrics()})"
IS_LIVE = "() => document.documentElement.dataset.state === 'live'"


class HeldRuntime:
    """Parks the page's requests for MicroPython's wasm until `release()`."""

    def __init__(self, page: Page) -> None:
        self.parked: list[Route] = []
        self.released = False
        page.route(WASM, self._on_request)

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
def watched_page(browser: Browser, page_log: PageLog) -> Iterator[Page]:
    context = open_context(browser)
    context.add_init_script(WATCH_SOCKETS)
    page = watch(context.new_page(), page_log)
    yield page
    context.close()


@pytest.fixture
def slow_server() -> Iterator[RunningServer]:
    """~70 messages/s: seconds of margin before the early socket's buffer is full, however
    slowly the runtime starts once released."""
    with start_server("--seed", "3", "--frequency-ms", "200") as running:
        yield running


@pytest.fixture
def fast_server() -> Iterator[RunningServer]:
    """~1400 messages/s: the early socket overflows its buffer within a second."""
    with start_server("--seed", "3", "--frequency-ms", "10") as running:
        yield running


def open_held(page: Page, server: RunningServer, heard: str) -> None:
    """Open the MicroPython page with its runtime held back until `heard` holds."""
    held = HeldRuntime(page)
    page.goto(f"{server.url}/?engine=mpy", wait_until="commit")
    page.wait_for_function(heard, timeout=LIVE_TIMEOUT_MS)
    assert page.evaluate("() => document.documentElement.dataset.state") != "live"
    held.release()
    page.wait_for_function(IS_LIVE, timeout=LIVE_TIMEOUT_MS)
    page.wait_for_timeout(SETTLE_MS)


def check_whole_and_in_order(seen: dict[str, Any], metrics: dict[str, Any]) -> None:
    # The store counts every message it is handed, and a gap for any seq it did not see
    # before a later one: a lost message or two swapped ones would show here.
    assert metrics["received"] == seen["messages"]
    assert metrics["gaps"] == 0
    assert metrics["ready_ms"] is not None


def test_the_engine_adopts_the_early_socket_and_gets_all_it_heard_in_order(
    watched_page: Page, slow_server: RunningServer, page_log: PageLog
) -> None:
    open_held(
        watched_page,
        slow_server,
        f"() => window.__sockets.length > 0 && window.__sockets[0].messages >= "
        f"{HEARD_BEFORE_START}",
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


@pytest.mark.parametrize("engine", ["py", "js"])
def test_other_engines_open_one_socket_of_their_own(
    watched_page: Page, server: RunningServer, engine: str
) -> None:
    watched_page.goto(f"{server.url}/?engine={engine}")
    watched_page.wait_for_function(IS_LIVE, timeout=LIVE_TIMEOUT_MS)
    state = watched_page.evaluate(SNAPSHOT)
    [socket] = state["sockets"]
    assert socket["closed"] is None
    check_whole_and_in_order(socket, state["metrics"])
