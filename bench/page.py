"""Headless Chromium (Debian's, never a downloaded one) and what the benchmark asks a page.

Every page gets an init script, run before the page's own scripts, that records long tasks into
`window.__tickscopeBench.longTasks`; a measured interval keeps those that started after reset.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
)
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from bench.chromium import CHROMIUM, CHROMIUM_FLAGS, launch_chromium

VIEWPORT = {"width": 1440, "height": 1000}
MS_PER_S = 1000.0
MAX_CONSOLE_ERRORS_KEPT = 10

RECORD_LONG_TASKS = """
(() => {
  const bench = { longTasks: [], longTaskError: null };
  window.__tickscopeBench = bench;
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        bench.longTasks.push({ start: entry.startTime, duration: entry.duration });
      }
    }).observe({ type: "longtask", buffered: true });
  } catch (error) {
    bench.longTaskError = String(error);
  }
})();
"""

# Live by the engine's own report too: an engine in a worker posts its reports to the page,
# and the one saying it is live (with its ready_ms) can land just after the page shows it.
IS_LIVE = """
() => document.documentElement.dataset.state === "live"
  && typeof window.tickscope === "object" && typeof window.tickscope.metrics === "function"
  && window.tickscope.metrics()?.ready_ms != null
"""

RESET = """
() => { window.tickscope.reset(); return performance.now(); }
"""

# Everything at the end of an interval in one evaluation, so it all describes the same instant.
COLLECT = """
(since) => {
  const now = performance.now();
  const bench = window.__tickscopeBench;
  const tasks = bench ? bench.longTasks.filter((task) => task.start >= since) : [];
  return {
    now: now,
    metrics: window.tickscope.metrics(),
    long_tasks: tasks,
    long_task_error: bench ? bench.longTaskError : "init script missing",
    used_js_heap_size: performance.memory ? performance.memory.usedJSHeapSize : null,
  };
}
"""

METRICS = "() => window.tickscope.metrics()"

# What the page shows when it does not go live: its state and the status badge's text.
STATE = """
() => {
  const label = document.querySelector('[data-field="state-label"]');
  return {
    state: document.documentElement.dataset.state || null,
    label: label ? label.textContent.trim() : null,
    tickscope: typeof window.tickscope,
  };
}
"""

# Navigation timing and bytes fetched: what a start-up spent, and how much came from cache.
LARGEST_RESOURCES = 5
NAVIGATION = """
(largestCount) => {
  const nav = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource");
  let transferred = nav ? nav.transferSize : 0;
  let decoded = nav ? nav.decodedBodySize : 0;
  for (const entry of resources) {
    transferred += entry.transferSize;
    decoded += entry.decodedBodySize;
  }
  const largest = resources
    .filter((entry) => entry.transferSize > 0)
    .sort((a, b) => b.transferSize - a.transferSize)
    .slice(0, largestCount)
    .map((entry) => ({
      name: new URL(entry.name).pathname,
      transferred_bytes: entry.transferSize,
      duration_ms: entry.duration,
    }));
  return {
    response_end_ms: nav ? nav.responseEnd : null,
    dom_content_loaded_ms: nav ? nav.domContentLoadedEventEnd : null,
    load_event_ms: nav ? nav.loadEventEnd : null,
    resources: resources.length,
    transferred_bytes: transferred,
    decoded_bytes: decoded,
    largest_fetched: largest,
  };
}
"""


def launch(playwright: Playwright) -> Browser:
    return launch_chromium(playwright)


@dataclass
class ConsoleLog:
    """Errors the page reported: console.error messages and uncaught exceptions."""

    count: int = 0
    first: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.count += 1
        if len(self.first) < MAX_CONSOLE_ERRORS_KEPT:
            self.first.append(text)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.add(message.text)

    def on_page_error(self, error: Exception) -> None:
        self.add(f"uncaught: {error}")


def new_context(browser: Browser) -> BrowserContext:
    """A fresh context: its own empty cache and storage (an in-memory cache, which drops
    entries as large as Pyodide's wasm; fine for a measured interval, not for a warm start)."""
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.add_init_script(RECORD_LONG_TASKS)
    return context


def new_profile_context(playwright: Playwright, profile: Path) -> BrowserContext:
    """A browser with an on-disk profile in `profile`: the HTTP and code caches behave as a
    user's do, so a second navigation is a real warm start."""
    context = playwright.chromium.launch_persistent_context(
        profile,
        executable_path=CHROMIUM,
        args=CHROMIUM_FLAGS,
        viewport=VIEWPORT,  # type: ignore[arg-type]
    )
    context.add_init_script(RECORD_LONG_TASKS)
    return context


def open_page(context: BrowserContext, console: ConsoleLog) -> Page:
    page = context.new_page()
    page.on("console", console.on_console)
    page.on("pageerror", console.on_page_error)
    return page


def engine_url(base_url: str, engine: str) -> str:
    return f"{base_url}/?engine={engine}"


class NotLiveError(Exception):
    """The page did not go live in time; says what it showed instead."""


def page_state(page: Page) -> dict[str, Any] | None:
    try:
        result: dict[str, Any] = page.evaluate(STATE)
    except PlaywrightError:
        return None
    return result


class WrongEngineError(NotLiveError):
    """The page went live with another engine than the one asked for (the server serves its
    default engine for a name it does not know)."""


def go_live(page: Page, url: str, engine: str, timeout_s: float) -> None:
    """Navigate and wait until the engine says it is live and exposes `window.tickscope`;
    check it is the engine asked for."""
    timeout_ms = timeout_s * MS_PER_S
    page.goto(url, timeout=timeout_ms)
    try:
        page.wait_for_function(IS_LIVE, timeout=timeout_ms)
    except PlaywrightTimeoutError:
        raise NotLiveError(
            f"not live after {timeout_s:g} s; the page showed {page_state(page)}"
        ) from None
    running = metrics(page).get("engine")
    if running != engine:
        raise WrongEngineError(f"asked for engine {engine!r}, the page runs {running!r}")


def metrics(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(METRICS)
    return result


def reset(page: Page) -> float:
    """Clear the page's measurement windows; the page's clock (ms) at that moment."""
    return float(page.evaluate(RESET))


def collect(page: Page, since_ms: float) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(COLLECT, since_ms)
    return result


def navigation(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(NAVIGATION, LARGEST_RESOURCES)
    return result


def cdp_heap_bytes(context: BrowserContext, page: Page) -> float | None:
    """JSHeapUsedSize from the DevTools protocol: exact, where performance.memory is bucketed."""
    session = context.new_cdp_session(page)
    try:
        session.send("Performance.enable")
        reply = session.send("Performance.getMetrics")
    finally:
        session.detach()
    for metric in reply.get("metrics", []):
        if metric.get("name") == "JSHeapUsedSize":
            return float(metric["value"])
    return None
