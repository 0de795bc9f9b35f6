"""WCAG 2.1 A and AA on the pages a person sees, checked by axe-core (pinned in package.json,
served by our server under /vendor/axe/) inside real Chromium: the server-rendered dashboard, in
each state it can show; the dashboard with each engine live; /compare and the panes it frames.
A serious or critical violation fails, naming the rule and the nodes to fix. Beside axe: the
controls work from the keyboard, and no live region speaks per message or per frame."""

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Frame, Page, Route

from server.vendor import AXE
from tests.conftest import ROOT, RunningServer
from tests.e2e.conftest import (
    IS_LIVE,
    LIVE_TIMEOUT_MS,
    PageLog,
    close_keeping_artifacts,
    go_live,
    open_context,
    watch,
)
from tests.e2e.test_compare import open_compare

ENGINES = ("py", "mpy", "py-worker", "js")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
CONTRAST_ONLY = ["color-contrast"]
BLOCKING_IMPACTS = ("serious", "critical")
AXE_PATH = f"{AXE.url(ROOT / 'node_modules')}/axe.min.js"
# Each frame is checked as a page of its own (see test_compare_and_its_panes_meet_wcag_aa).
AXE_RUN = """async ({tags, rules}) => {
  const only = rules ? { type: "rule", values: rules } : { type: "tag", values: tags };
  const results = await axe.run(document, {
    runOnly: only,
    iframes: false,
    resultTypes: ["violations"],
  });
  return results.violations.map((rule) => ({
    id: rule.id,
    impact: rule.impact,
    help: rule.help,
    nodes: rule.nodes.map((node) => ({
      target: node.target.join(" "),
      summary: node.failureSummary,
    })),
  }));
}"""

# What the engines write in each state the page can show, written here into the server's page
# (the same attributes and classes as client/panels.py, client/controls.py and baseline.js), so
# one page shows every colour the stylesheet gives a state.
STATES = ("ssr", "loading", "live", "stale", "reconnecting", "offline")
DIRECTIONS = ("up", "down", "flat")
TABS_TO_THE_TAPE = 40
SHOW_STATE = """({state, direction}) => {
  document.documentElement.dataset.state = state;
  for (const card of document.querySelectorAll(".card")) card.dataset.direction = direction;
  document.querySelector('[data-bind="behind"]').hidden = false;
  const pause = document.querySelector('[data-control="pause"]');
  pause.setAttribute("aria-pressed", "true");
  const toasts = document.querySelector('[data-list="toasts"]');
  if (!toasts.children.length) {
    const toast = document.createElement("div");
    toast.className = "toast toast-warn";
    toast.setAttribute("role", "alert");
    toast.innerHTML = "<strong>Server: rate_limited</strong><span>Too many changes.</span>";
    toasts.append(toast);
  }
}"""

# Follows every change to the DOM inside a live region (aria-live polite or assertive, or a
# role or element that implies one), by region, until window.__announcements is read.
WATCH_LIVE_REGIONS = """() => {
  const IMPLIED = { alert: "assertive", status: "polite", log: "polite" };
  const politeness = (node) => {
    for (let element = node.nodeType === 1 ? node : node.parentElement; element;
         element = element.parentElement) {
      const live = element.getAttribute("aria-live");
      if (live) return [live, element];
      const implied = IMPLIED[element.getAttribute("role")]
        ?? (element.tagName === "OUTPUT" ? "polite" : undefined);
      if (implied) return [implied, element];
    }
    return ["off", null];
  };
  const name = (element) => element.id || element.dataset.bind || element.dataset.list
    || element.dataset.field || element.className || element.tagName;
  const counts = {};
  window.__announcements = counts;
  new MutationObserver((records) => {
    const changed = new Set();
    for (const record of records) {
      const [live, region] = politeness(record.target);
      if (live !== "off") changed.add(region);
    }
    for (const region of changed) counts[name(region)] = (counts[name(region)] ?? 0) + 1;
  }).observe(document.body, {
    subtree: true, childList: true, characterData: true, attributes: true,
  });
}"""
WATCH_S = 4
HIGH_RATE = 1000  # msgs/s
FAST_ENGINES = ("js", "mpy")  # the keyboard and live-region tests: engines that start quickly
FOCUS_RING = """(element) => {
  const style = getComputedStyle(element);
  return (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
    || style.boxShadow !== "none";
}"""
ACTIVE = """() => {
  const element = document.activeElement;
  return element.dataset.control || element.getAttribute("aria-label") || element.tagName;
}"""
CONTROLS_IN_TAB_ORDER = ["frequency", "window", "engine", "batch", "A", "pause", "reset"]
TRADES_REGION = "Trades, newest first (scrolls)"
REFLOW_WIDTH = 320


def origin(target: Page | Frame) -> str:
    url = urlsplit(target.url)
    return f"{url.scheme}://{url.netloc}"


def violations(target: Page | Frame, rules: list[str] | None = None) -> list[dict[str, Any]]:
    """axe's serious and critical violations on `target`: of WCAG 2.1 A and AA, or of `rules`.
    axe comes from the target's own origin, which its Content-Security-Policy allows."""
    if not target.evaluate("() => typeof axe !== 'undefined'"):
        target.add_script_tag(url=origin(target) + AXE_PATH)
    found: list[dict[str, Any]] = target.evaluate(AXE_RUN, {"tags": WCAG_TAGS, "rules": rules})
    return [rule for rule in found if rule["impact"] in BLOCKING_IMPACTS]


def report(where: str, found: list[dict[str, Any]]) -> str:
    lines = [f"{where}: {len(found)} serious or critical WCAG 2.1 AA violation(s)"]
    for rule in found:
        lines.append(f"- {rule['id']} ({rule['impact']}): {rule['help']}")
        for node in rule["nodes"]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    {node['target']}: {summary}")
    return "\n".join(lines)


def assert_accessible(target: Page | Frame, where: str) -> None:
    found = violations(target)
    assert not found, report(where, found)


@pytest.fixture
def scriptless_page(
    request: pytest.FixtureRequest, browser: Browser, page_log: PageLog
) -> Iterator[Page]:
    """The page as the server renders it, with none of its own scripts: each is refused, so
    axe (which needs JavaScript) can still run where the page's engine never does."""
    context = open_context(browser)

    def only_axe(route: Route) -> None:
        request = route.request
        if request.resource_type == "script" and urlsplit(request.url).path != AXE_PATH:
            route.abort()
        else:
            route.continue_()

    context.route("**/*", only_axe)
    page = watch(context.new_page(), page_log)
    yield page
    close_keeping_artifacts(request, context, page, page_log)


def test_the_server_rendered_dashboard_meets_wcag_aa(
    scriptless_page: Page, server: RunningServer, page_log: PageLog
) -> None:
    scriptless_page.goto(server.url + "/?engine=py")
    assert scriptless_page.evaluate("document.documentElement.dataset.state") == "ssr"
    assert_accessible(scriptless_page, "dashboard, its own scripts off")
    assert page_log.foreign_requests() == []


def test_every_state_of_the_dashboard_keeps_its_text_readable(
    scriptless_page: Page, server: RunningServer
) -> None:
    scriptless_page.goto(server.url + "/?engine=js")
    problems = []
    for state, direction in zip(STATES, DIRECTIONS * 2, strict=True):
        scriptless_page.evaluate(SHOW_STATE, {"state": state, "direction": direction})
        if found := violations(scriptless_page, CONTRAST_ONLY):
            problems.append(report(f"state {state}, prices {direction}", found))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", ["/?engine=py", "/compare"])
def test_a_320_pixel_wide_screen_needs_no_sideways_scrolling(
    scriptless_page: Page, server: RunningServer, path: str
) -> None:
    # WCAG 1.4.10 Reflow: 320 CSS pixels is 1280 at 400% zoom. Wide tables scroll in their box.
    scriptless_page.set_viewport_size({"width": REFLOW_WIDTH, "height": 640})
    scriptless_page.goto(server.url + path)
    assert scriptless_page.evaluate("document.documentElement.scrollWidth") <= REFLOW_WIDTH


@pytest.mark.parametrize("engine", ENGINES)
def test_the_live_dashboard_meets_wcag_aa(page: Page, server: RunningServer, engine: str) -> None:
    go_live(page, f"{server.url}/?engine={engine}")
    assert_accessible(page, f"dashboard, {engine} live")


def test_compare_and_its_panes_meet_wcag_aa(page: Page, server: RunningServer) -> None:
    open_compare(page, server, "?a=mpy&b=js")
    problems = [report("/compare", found)] if (found := violations(page)) else []
    for frame in page.main_frame.child_frames:
        frame.wait_for_function(IS_LIVE, timeout=LIVE_TIMEOUT_MS)
        if found := violations(frame):
            problems.append(report(f"/compare, the pane at {frame.url}", found))
    assert len(page.main_frame.child_frames) == 2
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("engine", FAST_ENGINES)
def test_the_controls_work_from_the_keyboard(
    page: Page, server: RunningServer, engine: str
) -> None:
    go_live(page, f"{server.url}/?engine={engine}&window=200")
    page.locator("body").focus()
    reached = []
    for _ in CONTROLS_IN_TAB_ORDER:
        page.keyboard.press("Tab")
        reached.append(page.evaluate(ACTIVE))
        focused = page.locator(":focus")
        if reached[-1] != "frequency":  # the slider rings its thumb, which styles cannot read
            assert focused.evaluate(FOCUS_RING), f"{reached[-1]} shows no focus indicator"
    assert reached == CONTROLS_IN_TAB_ORDER

    slider = page.locator('[data-control="frequency"]')
    slider.focus()
    before = int(slider.input_value())
    page.keyboard.press("ArrowLeft")
    assert int(slider.input_value()) == before - 1
    assert page.locator('[data-field="frequency"]').inner_text() == f"{before - 1} ms"
    assert slider.get_attribute("aria-valuetext") == f"{before - 1} ms"

    page.locator('[data-control="window"]').focus()
    page.keyboard.press("ArrowDown")
    hint = page.locator('.panel-prices [data-field="window"]')
    page.wait_for_function(
        "() => document.querySelector('.panel-prices [data-field=\"window\"]')"
        ".textContent === '500'"
    )
    assert hint.inner_text() == "500"


def test_the_trade_tape_scrolls_from_the_keyboard(page: Page, server: RunningServer) -> None:
    go_live(page, f"{server.url}/?engine=js")
    tape = page.get_by_role("region", name=TRADES_REGION)
    page.locator('[data-control="reset"]').focus()
    for _ in range(TABS_TO_THE_TAPE):  # past the cards', chart's, alerts' and code's controls
        page.keyboard.press("Tab")
        if page.evaluate(ACTIVE) == TRADES_REGION:
            break
    assert page.evaluate(ACTIVE) == TRADES_REGION
    assert tape.evaluate(FOCUS_RING)
    page.wait_for_function(
        "() => { const tape = document.querySelector('.table-scroll');"
        " return tape.scrollHeight > tape.clientHeight; }"
    )
    page.keyboard.press("PageDown")
    page.wait_for_function("() => document.querySelector('.table-scroll').scrollTop > 0")


@pytest.mark.parametrize("engine", FAST_ENGINES)
def test_no_live_region_speaks_per_message_at_1000_messages_a_second(
    page: Page, fast_server: RunningServer, engine: str
) -> None:
    go_live(page, f"{fast_server.url}/?engine={engine}")
    # fast_server sends ~1400 msgs/s; a busy machine may deliver somewhat fewer.
    page.wait_for_function(
        f"() => window.tickscope.metrics().rate >= {HIGH_RATE}", timeout=LIVE_TIMEOUT_MS
    )
    page.evaluate(WATCH_LIVE_REGIONS)
    page.wait_for_timeout(WATCH_S * 1000)  # a span of the stream to listen to, not a wait
    announcements: dict[str, int] = page.evaluate("window.__announcements")
    received = page.evaluate("window.tickscope.metrics().received")
    assert received > 0
    # A region may change once (a banner shown, a state): never with the stream.
    assert all(count <= 1 for count in announcements.values()), announcements
