"""`run(settings)`: start-up per engine, then every engine under every load, `settings.repeat`
times; write the JSON and the plot."""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Playwright, sync_playwright

from bench.indicator_cost import per_bar_costs
from bench.loads import Load, load_for, source_load
from bench.machine import load_average, machine_info
from bench.measure import failed, measure
from bench.modes import CHART, variant, variants
from bench.page import launch
from bench.plot import draw
from bench.progress import Progress
from bench.repeats import SPREAD_NAME, cells
from bench.server import RunningServer, start_server
from bench.settings import Settings
from bench.slow_device import measure_slow_device
from bench.startup import COMPARED, measure_compare, measure_startup, startup_variants
from bench.summary import summarize

# 2: summary, plot, went_live and sustainable per run. 3: `runs` holds every repetition (its
# `repetition`, 1..repeat); `cells` one row per engine x mode x load, the median of each
# figure with its `spread` ([min, max]); the summary judges cells.
SCHEMA_VERSION = 3
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
LOG_TAIL_CHARS = 2000
PLOT_SUFFIX = ".png"


@dataclass(frozen=True)
class Outcome:
    data: dict[str, Any]  # what was written to `path`
    path: Path

    @property
    def ok(self) -> bool:
        """Every measurement completed (whether it met its targets or not)."""
        compare = [self.data["compare_startup"]] if self.data.get("compare_startup") else []
        return not any(
            item.get("error") for item in self.data["runs"] + self.data["startup"] + compare
        )


@dataclass
class Liveness:
    """Engines seen live, and those that failed to go live before ever doing so: the rest of
    a dead engine's runs are skipped rather than each waiting out the live timeout."""

    live: set[str] = field(default_factory=set)
    dead: dict[str, str] = field(default_factory=dict)  # engine -> its first failure

    def record(self, result: dict[str, Any]) -> None:
        engine = result["engine"]
        went_live = result.get("went_live")  # absent: the page was never opened
        if went_live:
            self.live.add(engine)
        elif went_live is False and engine not in self.live:
            self.dead.setdefault(engine, str(result.get("error")))

    def skipped(self, engine: str) -> str | None:
        """Why the engine's next run is skipped, if it is."""
        if engine not in self.dead:
            return None
        return f"skipped: {engine} never went live ({self.dead[engine]})"


def startup_server_args(settings: Settings) -> tuple[str, ...]:
    """Start-up is measured on the server's default market, what `make run` shows."""
    return ("--seed", str(settings.seed))


def measure_startups(
    playwright: Playwright, settings: Settings, liveness: Liveness, progress: Progress
) -> tuple[list[Any], dict[str, Any] | None]:
    """Each engine's start-ups (Pyodide's with and without its snapshot), and /compare's
    where both of its engines are measured."""
    progress.step("start-up: starting a server with the default market")
    try:
        with start_server(*startup_server_args(settings)) as server:
            results = []
            for engine, booting in startup_variants(settings.engines):
                result = measure_startup(
                    playwright, server, engine, settings, progress, booting=booting
                )
                liveness.record(result)
                results.append(result)
            compared = set(COMPARED) <= set(settings.engines)
            return results, measure_compare(
                playwright, server, settings, progress
            ) if compared else None
    except RuntimeError as error:  # the server did not start
        progress.step(f"start-up: server FAILED {error}")
        return [{"engine": engine, "error": str(error)} for engine in settings.engines], None


def measure_cell(
    browser: Browser,
    server: RunningServer,
    load: Load,
    cell: tuple[str, str, int],
    *,
    settings: Settings,
    liveness: Liveness,
    progress: Progress,
) -> dict[str, Any]:
    """One repetition of one engine x mode at `load`, on a fresh page."""
    engine, mode, repetition = cell
    reason = liveness.skipped(engine)
    if reason:
        progress.step(f"{variant(engine, mode)} @ {load.target} msgs/s: {reason}")
        result = failed(engine, load, reason, mode=mode)
    else:
        result = measure(
            browser,
            server,
            engine,
            load,
            settings=settings,
            progress=progress,
            mode=mode,
            repetition=repetition,
        )
        liveness.record(result)
        if result["error"]:
            result["server_log_tail"] = server.log()[-LOG_TAIL_CHARS:]
    result["repetition"] = repetition
    return result


def repetitions_at(settings: Settings) -> list[tuple[str, str, int]]:
    """Every engine x mode once, then all of them again: a slow minute on the machine is
    shared by the engines instead of landing on one cell's repetitions."""
    return [
        (engine, mode, repetition)
        for repetition in range(1, settings.repeat + 1)
        for engine in settings.engines
        for mode in settings.modes
    ]


def measure_load(
    browser: Browser, load: Load, settings: Settings, liveness: Liveness, progress: Progress
) -> list[dict[str, Any]]:
    progress.step(f"load {load.describe()}: starting a server")
    try:
        with start_server(*load.server_args(settings.seed), *settings.server_args()) as server:
            return [
                measure_cell(
                    browser,
                    server,
                    load,
                    cell,
                    settings=settings,
                    liveness=liveness,
                    progress=progress,
                )
                for cell in repetitions_at(settings)
            ]
    except RuntimeError as error:  # the server did not start
        progress.step(f"load {load.target}: server FAILED {error}")
        results = []
        for engine, mode, repetition in repetitions_at(settings):
            result = failed(engine, load, str(error), mode=mode)
            result["repetition"] = repetition
            results.append(result)
        return results


def free_stem(directory: Path, started: datetime) -> Path:
    """`directory/<stamp>`, suffixed if a result with that stamp exists already."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / started.strftime(STAMP_FORMAT)
    candidate, suffix = stem, 1
    while candidate.with_suffix(".json").exists():
        suffix += 1
        candidate = stem.with_name(f"{stem.name}-{suffix}")
    return candidate


def write(data: dict[str, Any], stem: Path) -> Path:
    """The JSON at `<stem>.json`, the plot beside it at `<stem>.png` (none for a run that
    measured no load, such as --slow-device-only)."""
    plot = stem.with_suffix(PLOT_SUFFIX)
    data["plot"] = plot.name if data["runs"] else None
    if data["runs"]:
        draw(data, plot)
    path = stem.with_suffix(".json")
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def run(
    settings: Settings | None = None,
    progress: Progress | None = None,
    playwright: Playwright | None = None,
) -> Outcome:
    """Measure, write the JSON under `settings.output`, and return it. Pass `playwright` when the
    caller already runs Playwright's sync API (a second one cannot start in the same thread)."""
    settings = settings or Settings()
    progress = progress or Progress()
    if playwright is None:
        with sync_playwright() as started_playwright:
            return measure_all(started_playwright, settings, progress)
    return measure_all(playwright, settings, progress)


def measure_all(playwright: Playwright, settings: Settings, progress: Progress) -> Outcome:
    started = datetime.now(UTC)
    loads: list[Load] = (
        [source_load(settings.source)]
        if settings.source
        else [load_for(target) for target in settings.loads]
    )
    load_at_start = load_average()
    liveness = Liveness()
    browser = launch(playwright)
    try:
        progress.step(f"Chromium {browser.version} up")
        machine = machine_info(browser.version, load_at_start)
        startup, compare_startup = (
            measure_startups(playwright, settings, liveness, progress)
            if settings.startup
            else ([], None)
        )
        runs = [
            result
            for load in loads
            for result in measure_load(browser, load, settings, liveness, progress)
        ]
        slow = measure_slow_device(browser, settings, progress) if settings.slow_device else []
    finally:
        browser.close()
    charted = any(mode.endswith(CHART) for mode in settings.modes) and not settings.source
    if charted:
        progress.step("the built-in indicators' cost per bar, in each engine's runtime")
    costs = per_bar_costs(settings.engines) if charted else None
    measured = cells(runs)
    data: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "machine": machine,
        "settings": settings.to_json(),
        "started_at": started.isoformat(timespec="seconds"),
        "elapsed_s": round(progress.elapsed_s(), 1),
        "load_average_at_end": load_average(),
        "startup": startup,
        "compare_startup": compare_startup,
        "runs": runs,
        "spread": SPREAD_NAME,
        "cells": measured,
        "slow_device": slow,
        "indicator_cost_us": costs,
        "summary": summarize(variants(settings.engines, settings.modes), measured),
    }
    path = write(data, free_stem(settings.output, started))
    progress.step(f"wrote {path}" + (f" and {data['plot']}" if data["plot"] else ""))
    return Outcome(data, path)
