"""Start-up: navigation start to live, cold (a fresh profile, empty cache), then warm twice:
the same page reloaded, and a new tab in the same profile (as a person opens the dashboard
again), by the page's own `metrics().ready_ms`. The Pyodide engines are measured both from the
server's start-up snapshot and booting the normal way (`?snapshot=off`), back to back.

Each run gets a new browser on a new on-disk profile: Playwright's ordinary contexts keep their
HTTP cache in memory and drop entries as large as Pyodide's 9.6 MB wasm, so their "warm" start
would fetch it again where a user's browser would not.
"""

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, Playwright

from bench import page as pages
from bench.progress import Progress, ms
from bench.server import RunningServer
from bench.settings import Settings
from bench.targets import COMPARE_TARGETS, check, startup_targets

MS_PER_S = 1000.0
PHASES = ("cold", "warm", "new_tab")
SNAPSHOT_ENGINES = ("py", "py-worker")  # the ones that start from a snapshot by default
BOOTING_QUERY = "&snapshot=off"
# How the page's Pyodide started (public/pyodide-runtime.mjs), and its start-up marks.
START_UP_FACTS = """() => ({
  snapshot: globalThis.tickscopeStartup ?? null,
  marks: Object.fromEntries(performance.getEntriesByType("mark")
    .filter((mark) => mark.name.startsWith("tickscope:"))
    .map((mark) => [mark.name.slice("tickscope:".length), Math.round(mark.startTime)])),
})"""
PROFILE_PREFIX = "tickscope-bench-profile-"
CACHE = "on-disk profile, fresh per run"


def navigate(page: Page, url: str, engine: str, timeout_s: float) -> dict[str, Any]:
    started = time.monotonic()
    pages.go_live(page, url, engine, timeout_s)
    observed_ms = (time.monotonic() - started) * MS_PER_S
    return {
        "ready_ms": pages.metrics(page).get("ready_ms"),
        "observed_ms": observed_ms,  # as Playwright saw it: goto to live, polling included
        **pages.navigation(page),
        **page.evaluate(START_UP_FACTS),
    }


class StartupError(Exception):
    """One phase of a start-up run failed; names the phase and says whether any went live."""

    def __init__(self, message: str, *, went_live: bool) -> None:
        super().__init__(message)
        self.went_live = went_live


def one_run(
    playwright: Playwright, url: str, engine: str, timeout_s: float, console: pages.ConsoleLog
) -> dict[str, Any]:
    """A cold navigation in a fresh profile, the same page again, then a new tab."""
    run: dict[str, Any] = {}
    phase = "launch"
    with tempfile.TemporaryDirectory(prefix=PROFILE_PREFIX) as profile:
        try:
            context = pages.new_profile_context(playwright, Path(profile))
            try:
                page = pages.open_page(context, console)
                for phase in PHASES:
                    if phase == "new_tab":
                        page = pages.open_page(context, console)
                    run[phase] = navigate(page, url, engine, timeout_s)
            finally:
                context.close()
        except Exception as failure:
            message = f"{phase}: {type(failure).__name__}: {failure}"
            raise StartupError(message, went_live=bool(run)) from failure
    return run


def ready_ms(runs: list[dict[str, Any]], phase: str) -> list[float]:
    return [run[phase]["ready_ms"] for run in runs if run[phase]["ready_ms"] is not None]


def median_of(runs: list[dict[str, Any]], phase: str) -> float | None:
    values = ready_ms(runs, phase)
    return statistics.median(values) if values else None


def spread_of(runs: list[dict[str, Any]]) -> dict[str, list[float]]:
    """[min, max] of each phase's ready_ms, as `bench.repeats` gives a cell's figures."""
    return {
        f"{phase}_ms": [min(values), max(values)]
        for phase in PHASES
        if (values := ready_ms(runs, phase))
    }


def measure_startup(
    playwright: Playwright,
    server: RunningServer,
    engine: str,
    settings: Settings,
    progress: Progress,
    *,
    booting: bool = False,
) -> dict[str, Any]:
    """`engine`'s start-ups; `booting`: a Pyodide engine without the start-up snapshot."""
    url = pages.engine_url(server.url, engine) + (BOOTING_QUERY if booting else "")
    label = f"{engine} (no snapshot)" if booting else engine
    console = pages.ConsoleLog()
    runs: list[dict[str, Any]] = []
    error: str | None = None
    went_live = False
    for index in range(settings.startup_runs):
        progress.step(f"{label} start-up {index + 1}/{settings.startup_runs}: cold, reload, tab")
        try:
            run = one_run(playwright, url, engine, settings.live_timeout_s, console)
        except StartupError as failure:
            error = str(failure)
            went_live = went_live or failure.went_live
            progress.step(f"{label} start-up: FAILED {error}")
            break
        runs.append(run)
        went_live = True
        progress.step(
            f"{label} start-up: cold {ms(run['cold']['ready_ms'])}, "
            f"reload {ms(run['warm']['ready_ms'])}, new tab {ms(run['new_tab']['ready_ms'])}"
        )
    result: dict[str, Any] = {
        "engine": engine,
        "label": label,
        # Whether the page was offered the start-up snapshot (None: its runtime has none).
        "snapshot": (not booting) if engine in SNAPSHOT_ENGINES else None,
        "cache": CACHE,
        "error": error,
        "went_live": went_live,
        "runs": runs,
        "cold_ms": median_of(runs, "cold"),
        "warm_ms": median_of(runs, "warm"),
        "new_tab_ms": median_of(runs, "new_tab"),
        "spread": spread_of(runs),
        "console_errors": {"count": console.count, "first": console.first},
    }
    result["targets"] = check(startup_targets(engine, result["snapshot"]), result)
    return result


def startup_variants(engines: tuple[str, ...]) -> list[tuple[str, bool]]:
    """Each engine, and right after a Pyodide one the same engine booting without a snapshot."""
    variants = []
    for engine in engines:
        variants.append((engine, False))
        if engine in SNAPSHOT_ENGINES:
            variants.append((engine, True))
    return variants


COMPARED = ("py", "js")  # /compare's default panes: Pyodide beside JavaScript
COMPARE_PHASES = ("cold", "warm")
PANES_LIVE = """() => {
  const panes = Object.values(window.tickscopeCompare?.() ?? {});
  return panes.length === 2 && panes.every((metrics) => metrics && metrics.state === "live");
}"""
# When a pane went live, on the epoch clock (each pane has its own time origin).
PANE_LIVE_AT = "() => performance.timeOrigin + window.tickscope.metrics().ready_ms"


def compare_live_ms(page: Page, url: str, timeout_s: float) -> float:
    """From /compare's navigation until the later of its two panes is live."""
    page.goto(url, timeout=timeout_s * MS_PER_S)
    page.wait_for_function(PANES_LIVE, timeout=timeout_s * MS_PER_S)
    top = float(page.evaluate("performance.timeOrigin"))
    panes = [frame for frame in page.frames if frame is not page.main_frame]
    return max(float(frame.evaluate(PANE_LIVE_AT)) for frame in panes) - top


def measure_compare(
    playwright: Playwright, server: RunningServer, settings: Settings, progress: Progress
) -> dict[str, Any]:
    """/compare with Pyodide and JavaScript, cold in a fresh profile and then reloaded."""
    url = f"{server.url}/compare?a={COMPARED[0]}&b={COMPARED[1]}"
    console = pages.ConsoleLog()
    runs: list[dict[str, Any]] = []
    error: str | None = None
    for index in range(settings.startup_runs):
        progress.step(f"/compare start-up {index + 1}/{settings.startup_runs}: cold, reload")
        with tempfile.TemporaryDirectory(prefix=PROFILE_PREFIX) as profile:
            context = pages.new_profile_context(playwright, Path(profile))
            try:
                page = pages.open_page(context, console)
                run = {
                    phase: {"ready_ms": compare_live_ms(page, url, settings.live_timeout_s)}
                    for phase in COMPARE_PHASES
                }
            except Exception as failure:  # reported in the results; the runs stop
                error = f"{type(failure).__name__}: {failure}"
                progress.step(f"/compare start-up: FAILED {error}")
                break
            finally:
                context.close()
        runs.append(run)
        progress.step(
            f"/compare: both panes live cold {ms(run['cold']['ready_ms'])}, "
            f"reloaded {ms(run['warm']['ready_ms'])}"
        )
    result: dict[str, Any] = {
        "engines": list(COMPARED),
        "error": error,
        "runs": runs,
        "cold_ms": median_of(runs, "cold"),
        "warm_ms": median_of(runs, "warm"),
        "console_errors": {"count": console.count, "first": console.first},
    }
    result["targets"] = check(COMPARE_TARGETS, result)
    return result
