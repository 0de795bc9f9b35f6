"""`run(settings)`: start-up per engine, then every engine under every load; write the JSON."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Playwright, sync_playwright

from bench.loads import Load, load_for
from bench.machine import load_average, machine_info
from bench.measure import failed, measure
from bench.page import launch
from bench.progress import Progress
from bench.server import start_server
from bench.settings import Settings
from bench.startup import measure_startup

SCHEMA_VERSION = 1
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
LOG_TAIL_CHARS = 2000


@dataclass(frozen=True)
class Outcome:
    data: dict[str, Any]  # what was written to `path`
    path: Path

    @property
    def ok(self) -> bool:
        """Every measurement completed (whether it met its targets or not)."""
        return not any(item.get("error") for item in self.data["runs"] + self.data["startup"])


def startup_server_args(settings: Settings) -> tuple[str, ...]:
    """Start-up is measured on the server's default market, what `make run` shows."""
    return ("--seed", str(settings.seed))


def measure_startups(playwright: Playwright, settings: Settings, progress: Progress) -> list[Any]:
    progress.step("start-up: starting a server with the default market")
    try:
        with start_server(*startup_server_args(settings)) as server:
            return [
                measure_startup(playwright, server, engine, settings, progress)
                for engine in settings.engines
            ]
    except RuntimeError as error:  # the server did not start
        progress.step(f"start-up: server FAILED {error}")
        return [{"engine": engine, "error": str(error)} for engine in settings.engines]


def measure_load(
    browser: Browser, load: Load, settings: Settings, progress: Progress
) -> list[dict[str, Any]]:
    progress.step(f"load {load.describe()}: starting a server")
    try:
        with start_server(*load.server_args(settings.seed)) as server:
            results = [
                measure(browser, server, engine, load, settings=settings, progress=progress)
                for engine in settings.engines
            ]
            for result in results:
                if result["error"]:
                    result["server_log_tail"] = server.log()[-LOG_TAIL_CHARS:]
            return results
    except RuntimeError as error:  # the server did not start
        progress.step(f"load {load.target}: server FAILED {error}")
        return [failed(engine, load, str(error)) for engine in settings.engines]


def write(data: dict[str, Any], directory: Path, started: datetime) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stem = started.strftime(STAMP_FORMAT)
    path = directory / f"{stem}.json"
    suffix = 1
    while path.exists():
        suffix += 1
        path = directory / f"{stem}-{suffix}.json"
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
    loads = [load_for(target) for target in settings.loads]
    load_at_start = load_average()
    browser = launch(playwright)
    try:
        progress.step(f"Chromium {browser.version} up")
        machine = machine_info(browser.version, load_at_start)
        startup = measure_startups(playwright, settings, progress) if settings.startup else []
        runs = [
            result for load in loads for result in measure_load(browser, load, settings, progress)
        ]
    finally:
        browser.close()
    data: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "machine": machine,
        "settings": settings.to_json(),
        "started_at": started.isoformat(timespec="seconds"),
        "elapsed_s": round(progress.elapsed_s(), 1),
        "load_average_at_end": load_average(),
        "startup": startup,
        "runs": runs,
    }
    path = write(data, settings.output, started)
    progress.step(f"wrote {path}")
    return Outcome(data, path)
