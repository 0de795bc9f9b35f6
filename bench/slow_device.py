"""The slow-device dimension (issue 19): every engine on the dashboard's default batching, under
Chromium's CPU throttling (DevTools' "4x/6x slowdown"), at 1,400 and 10,000 msgs/s.

Judged as a person would see it. Each second the page's wire latency p95 (server `ts` to
receipt, the age of what it is about to show) is sampled. A page falls behind when a second's
p95 passes MAX_WIRE_P95_MS; it has caught up when every later second stays under it. The bar:
caught up within SETTLE_S of falling behind, and staying there to the end of the watch. Ticks
conflated (skipped on purpose, newest shown) and lost (gaps) are counted over the watch.

CPU throttling slows the page's own thread: for Python in a worker (py-worker) it slows the
main thread that paints, not the worker, which the row says.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from playwright.sync_api import Browser

from bench import page as pages
from bench.loads import load_for
from bench.modes import DASHBOARD_MODE, mode_url
from bench.progress import Progress
from bench.server import start_server
from bench.settings import Settings

SLOW_RATES = (4, 6)  # CPU slowdown factors
SLOW_LOADS = (1400, 10_000)  # msgs/s
WATCH_S = 30  # seconds sampled after the slowdown starts
SAMPLE_S = 1.0
SETTLE_S = 10.0  # the bar: caught up this soon after falling behind
MAX_WIRE_P95_MS = 500.0  # "about half a second old"
WARMUP_S = 2.0
MS_PER_S = 1000.0
UNTHROTTLED_THREAD = {"py-worker": "throttling slows the main thread, not the worker"}
# One second's figures, then the windows are cleared for the next.
SAMPLE = """
() => {
  const m = window.tickscope.metrics();
  window.tickscope.reset();
  return {
    wire_p95: m.wire_ms.p95, delivery: m.delivery, received: m.received,
    conflated: m.conflated, gaps: m.gaps, fps: m.fps.last,
  };
}
"""


def verdict(samples: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """When the page fell behind, when it caught up for good, and whether that met the bar."""
    late = [index for index, s in enumerate(samples) if is_late(s)]
    if not late:
        return {"fell_behind_s": None, "caught_up_s": None, "met": bool(samples)}
    fell = late[0]
    last_late = late[-1]
    caught = last_late + 1 if last_late + 1 < len(samples) else None
    met = caught is not None and (caught - fell) * SAMPLE_S <= SETTLE_S
    return {
        "fell_behind_s": fell * SAMPLE_S,
        "caught_up_s": None if caught is None else caught * SAMPLE_S,
        "met": met,
    }


def is_late(sample: Mapping[str, Any]) -> bool:
    wire = sample.get("wire_p95")
    return wire is not None and wire > MAX_WIRE_P95_MS


def settled_wire_p95(samples: Sequence[Mapping[str, Any]], caught_up_s: float | None) -> Any:
    """The worst second after catching up (after the start, for a page never behind)."""
    start = 0 if caught_up_s is None else int(caught_up_s / SAMPLE_S)
    values = [s["wire_p95"] for s in samples[start:] if s.get("wire_p95") is not None]
    return max(values, default=None)


def summarize(engine: str, rate: int, target: int, samples: list[dict[str, Any]]) -> dict[str, Any]:
    judged = verdict(samples)
    return {
        "engine": engine,
        "mode": DASHBOARD_MODE,
        "cpu_slowdown": rate,
        "load": target,
        "error": None,
        **judged,
        "worst_wire_p95_after_ms": settled_wire_p95(
            samples, judged["caught_up_s"] if judged["fell_behind_s"] is not None else None
        ),
        "conflated": sum(s.get("conflated") or 0 for s in samples),
        "lost": sum(s.get("gaps") or 0 for s in samples),
        "received": sum(s.get("received") or 0 for s in samples),
        "conflated_seconds": sum(1 for s in samples if s.get("delivery") == "conflated"),
        "note": UNTHROTTLED_THREAD.get(engine),
        "samples": samples,
    }


def watch(browser: Browser, url: str, engine: str, rate: int, settings: Settings) -> list[Any]:
    """Go live, slow the CPU down, and sample every second for WATCH_S."""
    console = pages.ConsoleLog()
    context = pages.new_context(browser)
    try:
        page = pages.open_page(context, console)
        pages.go_live(page, url, engine, settings.live_timeout_s)
        page.wait_for_timeout(WARMUP_S * MS_PER_S)
        page.evaluate("window.tickscope.reset()")
        session = context.new_cdp_session(page)
        session.send("Emulation.setCPUThrottlingRate", {"rate": rate})
        samples = []
        for _ in range(WATCH_S):
            page.wait_for_timeout(SAMPLE_S * MS_PER_S)
            samples.append(page.evaluate(SAMPLE))
        return samples
    finally:
        context.close()


def measure_slow_device(
    browser: Browser, settings: Settings, progress: Progress
) -> list[dict[str, Any]]:
    results = []
    for target in SLOW_LOADS:
        load = load_for(target)
        progress.step(f"slow device, {load.describe()}: starting a server")
        with start_server(*load.server_args(settings.seed), *settings.server_args()) as server:
            for engine in settings.engines:
                url = mode_url(pages.engine_url(server.url, engine), DASHBOARD_MODE)
                for rate in SLOW_RATES:
                    label = f"slow device {rate}x, {engine} @ {target} msgs/s"
                    progress.step(f"{label}: watching {WATCH_S} s")
                    try:
                        samples = watch(browser, url, engine, rate, settings)
                    except Exception as error:
                        progress.step(f"{label}: FAILED {type(error).__name__}: {error}")
                        results.append(failed(engine, rate, target, error))
                        continue
                    row = summarize(engine, rate, target, samples)
                    progress.step(f"{label}: {describe(row)}")
                    results.append(row)
    return results


def failed(engine: str, rate: int, target: int, error: Exception) -> dict[str, Any]:
    return {
        "engine": engine,
        "mode": DASHBOARD_MODE,
        "cpu_slowdown": rate,
        "load": target,
        "error": f"{type(error).__name__}: {error}",
    }


def describe(row: Mapping[str, Any]) -> str:
    if row["fell_behind_s"] is None:
        return "never fell behind"
    caught = row["caught_up_s"]
    after = "never caught up" if caught is None else f"caught up at {caught:g} s"
    return (
        f"fell behind at {row['fell_behind_s']:g} s, {after}; {row['conflated']} conflated, "
        f"{row['lost']} lost"
    )
