"""One engine under one load: a fresh page, warm-up, reset, a measured interval, collect."""

from collections.abc import Mapping
from typing import Any

from playwright.sync_api import Browser

from bench import page as pages
from bench.loads import Load
from bench.modes import UNBATCHED, mode_url, variant
from bench.progress import Progress, ms
from bench.server import Counters, RunningServer, read_counters
from bench.settings import Settings
from bench.targets import RUN_TARGETS, SUSTAINABLE, check

MS_PER_S = 1000.0
BYTES_PER_MB = 1024.0 * 1024.0
RENDER_KEY = "render_ms"  # per-frame render cost, once the engines report it


def describe_load(load: Load) -> dict[str, Any]:
    return {
        "target": load.target,
        "symbols": load.symbols,
        "frequency_ms": load.frequency_ms,
        "expected": round(load.expected, 1),
        "source": load.source,
    }


def long_task_summary(sample: Mapping[str, Any]) -> dict[str, Any]:
    durations = [float(task["duration"]) for task in sample.get("long_tasks") or []]
    return {
        "count": len(durations),
        "total_ms": sum(durations),
        "max_ms": max(durations, default=0.0),
        "error": sample.get("long_task_error"),
    }


def heap_summary(page_bytes: float | None, cdp_bytes: float | None) -> dict[str, Any]:
    """performance.memory where the page has it, else the DevTools protocol's figure."""
    chosen = page_bytes if page_bytes is not None else cdp_bytes
    return {
        "used_js_heap_bytes": page_bytes,
        "cdp_js_heap_used_bytes": cdp_bytes,
        "source": "performance.memory" if page_bytes is not None else "cdp",
        "mb": None if chosen is None else chosen / BYTES_PER_MB,
    }


def server_summary(delta: Counters, interval_s: float) -> dict[str, Any]:
    return {
        "published": delta.published,
        "sent": delta.sent,
        "dropped": delta.dropped,
        "published_rate": delta.published / interval_s if interval_s > 0 else None,
    }


def finish(result: dict[str, Any]) -> dict[str, Any]:
    """Flag the result against issue 4's targets and issue 5's definition of sustainable."""
    completed = result["error"] is None
    result["targets"] = check(RUN_TARGETS, result)
    result["meets_targets"] = completed and all(result["targets"].values())
    result["sustainable_checks"] = check(SUSTAINABLE, result)
    result["sustainable"] = completed and all(result["sustainable_checks"].values())
    return result


def failed(
    engine: str,
    load: Load,
    error: BaseException | str,
    *,
    went_live: bool | None = None,
    mode: str = UNBATCHED,
) -> dict[str, Any]:
    """A run that did not complete; `went_live` says whether its page got that far, when it
    was opened at all."""
    message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    result: dict[str, Any] = {
        "engine": engine,
        "mode": mode,
        "load": describe_load(load),
        "error": message,
    }
    if went_live is not None:
        result["went_live"] = went_live
    return finish(result)


def measure(
    browser: Browser,
    server: RunningServer,
    engine: str,
    load: Load,
    *,
    settings: Settings,
    progress: Progress,
    mode: str = UNBATCHED,
    repetition: int = 1,
) -> dict[str, Any]:
    label = f"{variant(engine, mode)} @ {load.target} msgs/s"
    if settings.repeat > 1:
        label += f" ({repetition}/{settings.repeat})"
    console = pages.ConsoleLog()
    context = pages.new_context(browser)
    went_live = False
    try:
        page = pages.open_page(context, console)
        progress.step(f"{label}: fresh page, waiting for live")
        url = mode_url(pages.engine_url(server.url, engine), mode)
        pages.go_live(page, url, engine, settings.live_timeout_s)
        went_live = True
        ready_ms = pages.metrics(page).get("ready_ms")
        progress.step(f"{label}: live after {ms(ready_ms)}; warming up {settings.warmup_s:g} s")
        page.wait_for_timeout(settings.warmup_s * MS_PER_S)
        before = read_counters(server.url)
        since_ms = pages.reset(page)
        progress.step(f"{label}: reset; measuring {settings.duration_s:g} s")
        page.wait_for_timeout(settings.duration_s * MS_PER_S)
        sample = pages.collect(page, since_ms)
        delta = read_counters(server.url) - before
        cdp_bytes = pages.cdp_heap_bytes(context, page)
    except Exception as error:
        progress.step(f"{label}: FAILED {type(error).__name__}: {error}")
        result = failed(engine, load, error, went_live=went_live, mode=mode)
        result["console_errors"] = {"count": console.count, "first": console.first}
        return result
    finally:
        context.close()
    metrics: dict[str, Any] = sample["metrics"]
    interval_s = (float(sample["now"]) - since_ms) / MS_PER_S
    received = metrics.get("received") or 0
    result = finish(
        {
            "engine": engine,
            "mode": mode,
            "load": describe_load(load),
            "error": None,
            "went_live": True,
            "ready_ms": ready_ms,
            "interval_s": interval_s,
            "measured_rate": received / interval_s if interval_s > 0 else None,
            "metrics": metrics,
            "render_ms": metrics.get(RENDER_KEY),
            "long_tasks": long_task_summary(sample),
            "heap": heap_summary(sample.get("used_js_heap_size"), cdp_bytes),
            "server": server_summary(delta, interval_s),
            "console_errors": {"count": console.count, "first": console.first},
        }
    )
    verdict = "meets targets" if result["meets_targets"] else "misses targets"
    sustained = "sustainable" if result["sustainable"] else "not sustainable"
    progress.step(f"{label}: {result['measured_rate']:.0f} msgs/s received, {verdict}, {sustained}")
    return result
