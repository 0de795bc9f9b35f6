"""`python -m bench.soak`: the Python engine in headless Chromium for minutes at ~1000 msgs/s.

Every interval it records the server's RSS (psutil), the page's JS heap
(`performance.memory.usedJSHeapSize`, precise with --enable-precise-memory-info, read after a
forced garbage collection so that it measures what is retained) and the page's received count.
Growth after warm-up compares the mean of the first third of the samples with the last third.
Exits 0 when both growths are under --max-growth, 2 when either is not, 1 when the run failed.
"""

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
from playwright.sync_api import CDPSession, Page, Playwright, sync_playwright

from bench.arguments import positive
from bench.chromium import launch_chromium
from bench.loads import load_for
from bench.machine import load_average, machine_info
from bench.page import ConsoleLog, engine_url, go_live, open_page
from bench.progress import Progress
from bench.server import start_server
from bench.settings import RESULTS_DIR

SCHEMA_VERSION = 2  # 2: machine
ENGINE = "py"
DEFAULT_MINUTES = 10.0
DEFAULT_RATE = 1000
DEFAULT_INTERVAL_S = 10.0
DEFAULT_MAX_GROWTH_PCT = 10.0
MAX_WARMUP_S = 60.0
WARMUP_FRACTION = 1 / 3  # of a short run: never more than MAX_WARMUP_S
LIVE_TIMEOUT_S = 120.0
SEED = 7
SECONDS_PER_MINUTE = 60.0
BYTES_PER_MB = 1024 * 1024
PERCENT = 100.0
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
PRECISE_MEMORY = "--enable-precise-memory-info"
EXIT_GROWTH = 2
EXIT_FAILED = 1

READ_PAGE = """
() => ({
  heap: performance.memory ? performance.memory.usedJSHeapSize : null,
  received: window.tickscope.metrics().received,
})
"""


@dataclass(frozen=True)
class Sample:
    t_s: float  # since the page went live
    server_rss_mb: float
    js_heap_mb: float | None
    received: int


def warmup_for(total_s: float) -> float:
    return min(MAX_WARMUP_S, total_s * WARMUP_FRACTION)


def growth_pct(values: list[float]) -> float | None:
    """Mean of the last third against the mean of the first third, in percent."""
    third = max(1, len(values) // 3)
    if len(values) < 2:
        return None
    first = sum(values[:third]) / third
    last = sum(values[-third:]) / third
    return round((last - first) / first * PERCENT, 2) if first else None


def read_sample(page: Page, gc: CDPSession, server: psutil.Process, t_s: float) -> Sample:
    gc.send("HeapProfiler.collectGarbage")
    state: dict[str, Any] = page.evaluate(READ_PAGE)
    heap = state["heap"]
    return Sample(
        t_s=round(t_s, 1),
        server_rss_mb=round(server.memory_info().rss / BYTES_PER_MB, 2),
        js_heap_mb=None if heap is None else round(heap / BYTES_PER_MB, 3),
        received=int(state["received"]),
    )


def sample_for(
    page: Page, gc: CDPSession, server: psutil.Process, settings: "SoakSettings", progress: Progress
) -> list[Sample]:
    """One sample at once, then one every interval until the run's length has passed."""
    started = time.monotonic()
    samples: list[Sample] = []
    while True:
        elapsed = time.monotonic() - started
        sample = read_sample(page, gc, server, elapsed)
        samples.append(sample)
        progress.step(
            f"t={sample.t_s:.0f} s: server RSS {sample.server_rss_mb} MB, "
            f"JS heap {sample.js_heap_mb} MB, received {sample.received}"
        )
        next_at = started + len(samples) * settings.interval_s
        if next_at - started > settings.total_s + settings.interval_s / 2:
            return samples
        time.sleep(max(0.0, next_at - time.monotonic()))


@dataclass(frozen=True)
class SoakSettings:
    total_s: float
    rate: int
    interval_s: float
    max_growth_pct: float

    @property
    def warmup_s(self) -> float:
        return warmup_for(self.total_s)


def growth(samples: list[Sample], settings: SoakSettings) -> dict[str, Any]:
    after = [sample for sample in samples if sample.t_s >= settings.warmup_s]
    rss = growth_pct([sample.server_rss_mb for sample in after])
    heaps = [sample.js_heap_mb for sample in after]
    heap = growth_pct([value for value in heaps if value is not None])
    limit = settings.max_growth_pct
    return {
        "samples_after_warmup": len(after),
        "server_rss_pct": rss,
        "js_heap_pct": heap,
        "limit_pct": limit,
        "under_limit": rss is not None and heap is not None and rss < limit and heap < limit,
    }


def soak(playwright: Playwright, settings: SoakSettings, progress: Progress) -> dict[str, Any]:
    load_at_start = load_average()
    load = load_for(settings.rate)
    progress.step(f"starting a server at {load.describe()}")
    with start_server(*load.server_args(SEED)) as server:
        browser = launch_chromium(playwright, PRECISE_MEMORY)
        try:
            machine = machine_info(browser.version, load_at_start)
            context = browser.new_context()
            console = ConsoleLog()
            page = open_page(context, console)
            progress.step(f"opening the {ENGINE} engine; waiting for it to go live")
            go_live(page, engine_url(server.url, ENGINE), ENGINE, LIVE_TIMEOUT_S)
            gc = context.new_cdp_session(page)
            samples = sample_for(page, gc, psutil.Process(server.process.pid), settings, progress)
        finally:
            browser.close()
    return {
        "machine": machine,
        "load": {"target": load.target, "symbols": load.symbols, "expected": load.expected},
        "frequency_ms": load.frequency_ms,
        "console_errors": console.first,
        "samples": [asdict(sample) for sample in samples],
        "growth": growth(samples, settings),
    }


def cell(value: Any) -> str:
    return "-" if value is None else str(value)


def markdown(data: dict[str, Any]) -> str:
    found = data["growth"]
    lines = [
        f"Soak: engine {ENGINE}, {data['load']['expected']:.0f} msgs/s, "
        f"{data['settings']['total_s']:g} s, warm-up {data['settings']['warmup_s']:g} s.",
        "",
        "| t s | server RSS MB | JS heap MB | received |",
        "|---|---|---|---|",
        *(
            f"| {s['t_s']:.0f} | {s['server_rss_mb']} | {cell(s['js_heap_mb'])} | {s['received']} |"
            for s in data["samples"]
        ),
        "",
        f"Growth after warm-up (first third vs last third of {found['samples_after_warmup']} "
        f"samples): server RSS {cell(found['server_rss_pct'])} %, "
        f"JS heap {cell(found['js_heap_pct'])} %; under {found['limit_pct']:g} %: "
        f"{'yes' if found['under_limit'] else 'NO'}",
    ]
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    length = cli.add_mutually_exclusive_group()
    length.add_argument(
        "--minutes", type=positive, default=DEFAULT_MINUTES, help="(default %(default)g)"
    )
    length.add_argument("--seconds", type=positive, help="run length in seconds instead")
    cli.add_argument("--rate", type=int, default=DEFAULT_RATE, help="msgs/s (default %(default)d)")
    cli.add_argument("--interval", type=positive, default=DEFAULT_INTERVAL_S, help="seconds")
    cli.add_argument("--max-growth", type=positive, default=DEFAULT_MAX_GROWTH_PCT, help="percent")
    cli.add_argument(
        "--output",
        type=Path,
        default=RESULTS_DIR,
        help="directory for the JSON (default %(default)s, git-ignored)",
    )
    return cli


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    total_s = args.seconds or args.minutes * SECONDS_PER_MINUTE
    settings = SoakSettings(total_s, args.rate, args.interval, args.max_growth)
    progress = Progress()
    started = datetime.now(UTC)
    try:
        with sync_playwright() as playwright:
            result = soak(playwright, settings, progress)
    except Exception as error:  # reported, then a failing exit code
        progress.step(f"soak FAILED: {type(error).__name__}: {error}")
        return EXIT_FAILED
    data = {
        "schema": SCHEMA_VERSION,
        "engine": ENGINE,
        "started_at": started.isoformat(timespec="seconds"),
        "settings": {**asdict(settings), "warmup_s": settings.warmup_s},
        **result,
    }
    args.output.mkdir(parents=True, exist_ok=True)
    path = args.output / f"soak-{started.strftime(STAMP_FORMAT)}.json"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(markdown(data))
    progress.step(f"wrote {path}")
    return 0 if data["growth"]["under_limit"] else EXIT_GROWTH


if __name__ == "__main__":
    sys.exit(main())
