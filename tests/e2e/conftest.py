"""One real headless Chromium per session (Debian's, never a downloaded one), a fresh page per
test; every request and console message is recorded, and a failing test leaves its console log
and a screenshot in test-artifacts/."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    sync_playwright,
)
from playwright.sync_api import (
    Error as PlaywrightError,
)

from bench.chromium import CHROMIUM, launch_chromium
from tests.conftest import ROOT, RunningServer, start_server

ARTIFACTS = ROOT / "test-artifacts"
LIVE_TIMEOUT_MS = 60_000  # a cold Pyodide start on a busy machine takes seconds
# Predicates are functions, not expressions: Playwright evaluates an expression with eval(),
# which the pages' Content-Security-Policy (rightly) forbids.
IS_LIVE = "() => document.documentElement.dataset.state === 'live'"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
# An init script that follows each socket the page opens: how many messages it delivered, and
# how it closed (window.__sockets).
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

# Runs Python in the page's own interpreter, as PyScript holds it (for tests that reach inside
# the engine: a fault to inject, or a reading the engine does not report).
RUN_IN_ENGINE = """async ({type, code}) => {
  const core = document.querySelector('script[type="module"][src$="/core.js"]').src;
  const { whenDefined } = await import(core);
  (await whenDefined(type)).interpreter.runPython(code);
}"""


@dataclass
class PageLog:
    requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme in ("http", "https", "ws", "wss")
            and urlsplit(url).hostname not in LOCAL_HOSTS
        ]


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium")
    browser = launch_chromium(playwright_session)
    yield browser
    browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":  # type: ignore[attr-defined]
        item.stash[FAILED] = report.failed  # type: ignore[attr-defined]
    return report


FAILED = pytest.StashKey[bool]()
ARTIFACT_TIMEOUT_MS = 5_000


def open_context(browser: Browser, *, javascript: bool = True) -> BrowserContext:
    return browser.new_context(
        java_script_enabled=javascript, viewport={"width": 1440, "height": 1000}
    )


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


def go_live(page: Page, url: str) -> None:
    """Open `url` and wait until its engine is live."""
    page.goto(url)
    page.wait_for_function(IS_LIVE, timeout=LIVE_TIMEOUT_MS)


def run_in_engine(page: Page, engine: str, code: str) -> None:
    """Run `code` in the Python interpreter of `engine` ("py" or "mpy") on `page`."""
    page.evaluate(RUN_IN_ENGINE, {"type": engine, "code": code})


def watch(page: Page, log: PageLog) -> Page:
    page.on("request", lambda request: log.requests.append(request.url))
    page.on("console", lambda message: _console(log, message))
    page.on("pageerror", lambda error: log.errors.append(str(error)))
    return page


def _console(log: PageLog, message: ConsoleMessage) -> None:
    line = f"[{message.type}] {message.text}"
    log.console.append(line)
    if message.type == "error":
        log.errors.append(line)


def close_keeping_artifacts(
    request: pytest.FixtureRequest, context: BrowserContext, page: Page, log: PageLog
) -> None:
    """Close `context`, first keeping a failed test's console and screenshot. A page too stuck
    to take a screenshot of is closed all the same: left open and live, it kept the shared
    browser busy and failed every test after it."""
    try:
        if request.node.stash.get(FAILED, False):
            ARTIFACTS.mkdir(exist_ok=True)
            name = request.node.name.replace("/", "_")
            lines = log.console + log.errors
            try:
                page.screenshot(
                    path=str(ARTIFACTS / f"{name}.png"),
                    full_page=True,
                    timeout=ARTIFACT_TIMEOUT_MS,
                )
            except PlaywrightError as error:
                lines.append(f"[artifacts] no screenshot: {error.message}")
            (ARTIFACTS / f"{name}.console.log").write_text("\n".join(lines))
    finally:
        context.close()


@pytest.fixture
def page(request: pytest.FixtureRequest, browser: Browser, page_log: PageLog) -> Iterator[Page]:
    context = open_context(browser)
    page = watch(context.new_page(), page_log)
    yield page
    close_keeping_artifacts(request, context, page, page_log)


@pytest.fixture
def static_page(
    request: pytest.FixtureRequest, browser: Browser, page_log: PageLog
) -> Iterator[Page]:
    """A page with JavaScript disabled: what the server alone renders."""
    context = open_context(browser, javascript=False)
    page = watch(context.new_page(), page_log)
    yield page
    close_keeping_artifacts(request, context, page, page_log)


@pytest.fixture
def dashboard_url(server: RunningServer) -> str:
    return server.url + "/"


@pytest.fixture
def fast_server() -> Iterator[RunningServer]:
    """A server of its own, ticking every 10 ms (8 symbols: ~1400 msgs/s); tests may change
    its settings."""
    with start_server("--seed", "3", "--frequency-ms", "10") as running:
        yield running
