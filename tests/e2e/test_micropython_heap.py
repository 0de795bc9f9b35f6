"""The MicroPython page starts its runtime through our loader (public/micropython-runtime.mjs),
with a heap the engine never outgrows: at ~1400 msgs/s the heap stays the one area it started
with. (MicroPython 1.27.0 can free a grown area while it still holds a live object; see
tests/unit/test_micropython_heap.py.) The heap's size is MicroPython's own report."""

import re

from playwright.sync_api import Page

from tests.conftest import RunningServer
from tests.e2e.conftest import PageLog, go_live, run_in_engine

READINGS = 10
READING_INTERVAL_MS = 300
LOADER_HEAP = """async () => {
  const loader = document.querySelector('script[type="mpy"]').getAttribute("config");
  return (await import(JSON.parse(loader).interpreter)).HEAP_BYTES;
}"""
HEAP_TOTAL = re.compile(r"GC: total: (\d+)")
# The heap's bytes also hold the collector's own tables: what it reports as total is less.
TABLES_SHARE = 0.05


def test_the_micropython_heap_stays_one_area_under_a_fast_stream(
    page: Page, fast_server: RunningServer, page_log: PageLog
) -> None:
    go_live(page, f"{fast_server.url}/?engine=mpy")
    heap_bytes = page.evaluate(LOADER_HEAP)
    for _ in range(READINGS):
        run_in_engine(page, "mpy", "import micropython\nmicropython.mem_info()")
        page.wait_for_timeout(READING_INTERVAL_MS)
    totals = [int(total) for line in page_log.console for total in HEAP_TOTAL.findall(line)]
    assert len(totals) == READINGS
    for total in totals:
        assert heap_bytes * (1 - TABLES_SHARE) < total <= heap_bytes
    assert page_log.errors == []
