"""Start-up: navigation start to live, cold (a fresh profile, empty cache) then warm (the same
profile navigating again), by the page's own `metrics().ready_ms`.

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
from bench.targets import check, startup_targets

MS_PER_S = 1000.0
PHASES = ("cold", "warm")
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
    }


class StartupError(Exception):
    """One phase of a start-up run failed; names the phase and says whether any went live."""

    def __init__(self, message: str, *, went_live: bool) -> None:
        super().__init__(message)
        self.went_live = went_live


def one_run(
    playwright: Playwright, url: str, engine: str, timeout_s: float, console: pages.ConsoleLog
) -> dict[str, Any]:
    """A cold navigation in a fresh profile, then a warm one in the same profile."""
    run: dict[str, Any] = {}
    phase = "launch"
    with tempfile.TemporaryDirectory(prefix=PROFILE_PREFIX) as profile:
        try:
            context = pages.new_profile_context(playwright, Path(profile))
            try:
                page = pages.open_page(context, console)
                for phase in PHASES:
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
) -> dict[str, Any]:
    url = pages.engine_url(server.url, engine)
    console = pages.ConsoleLog()
    runs: list[dict[str, Any]] = []
    error: str | None = None
    went_live = False
    for index in range(settings.startup_runs):
        progress.step(f"{engine} start-up {index + 1}/{settings.startup_runs}: cold, then warm")
        try:
            run = one_run(playwright, url, engine, settings.live_timeout_s, console)
        except StartupError as failure:
            error = str(failure)
            went_live = went_live or failure.went_live
            progress.step(f"{engine} start-up: FAILED {error}")
            break
        runs.append(run)
        went_live = True
        progress.step(
            f"{engine} start-up: cold {ms(run['cold']['ready_ms'])}, "
            f"warm {ms(run['warm']['ready_ms'])}"
        )
    result: dict[str, Any] = {
        "engine": engine,
        "cache": CACHE,
        "error": error,
        "went_live": went_live,
        "runs": runs,
        "cold_ms": median_of(runs, "cold"),
        "warm_ms": median_of(runs, "warm"),
        "spread": spread_of(runs),
        "console_errors": {"count": console.count, "first": console.first},
    }
    result["targets"] = check(startup_targets(engine), result)
    return result
