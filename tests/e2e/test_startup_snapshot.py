"""Pyodide started from the server's start-up snapshot, in real Chromium: it goes live and
computes what a Pyodide booted the normal way computes; a snapshot that is missing, damaged,
stale or made from another client archive is discarded with one warning, and the page boots
Pyodide and goes live all the same. No request leaves localhost."""

import gzip
import json
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, Route

from server.engines import engine_bundles, snapshot_bundle
from server.startup_snapshot import MEDIA_TYPE, load_or_make
from server.vendor import PYODIDE
from tests.conftest import ROOT, RunningServer, start_server
from tests.e2e.conftest import PageLog, go_live, run_in_engine

RECORDING = ROOT / "tests" / "fixtures" / "recordings" / "sim-btc-eth"
HOW_IT_STARTED = "() => globalThis.tickscopeStartup ?? null"
NOT_USED = "start-up snapshot was not used"
SETTLE_S = 0.3  # between two looks at the replayed market, to see it has stopped
SNAPSHOT_ROUTE = re.compile(r".*/pyodide-snapshot-\w+\.bin\.gz$")
# The client's own code over the market the page was served, in the page's engine; the answer
# is left on <body> for the test to read.
COMPUTE = """
import json, js
from client import texts
from client.candles import Candle
from client.indicators import ORDER, indicator
market = json.loads(js.document.getElementById("tickscope-snapshot").textContent)
answer = {"trades": texts.trades_html(market["trades"])}
for symbol, history in sorted(market["prices"].items()):
    made = [indicator(name) for name in ORDER]
    lines = []
    for step, price in enumerate(history):
        bar = Candle(step, price, price, price, price, 1.0, 1)
        lines.append([line.update(bar) for line in made])
    answer[symbol] = {
        "card": texts.card_texts(history, market["last"].get(symbol)),
        "points": texts.sparkline_points(history),
        "book": texts.ladder_levels(market["books"].get(symbol)),
        "lines": lines,
    }
js.document.body.dataset.computed = json.dumps(answer)
"""


@pytest.fixture(scope="module")
def frozen_market() -> Iterator[RunningServer]:
    """A recording replayed to its end: every page then gets the very same market."""
    with start_server("--source", f"replay://{RECORDING}?speed=max") as server:
        seqs: list[str] = []
        while len(seqs) < 2 or seqs[-1] != seqs[-2]:
            html = httpx.get(server.url + "/").text
            found = re.search(r'data-field="snapshot-seq">(\d+)<', html)
            assert found is not None
            seqs.append(found[1])
            time.sleep(SETTLE_S)
        yield server


def how_it_started(page: Page) -> dict[str, object] | None:
    started: dict[str, object] | None = page.evaluate(HOW_IT_STARTED)
    return started


def computed(page: Page) -> object:
    run_in_engine(page, "py", COMPUTE)
    return json.loads(page.evaluate("document.body.dataset.computed"))


def test_a_page_from_the_snapshot_computes_what_a_booted_one_does(
    page: Page, page_log: PageLog, frozen_market: RunningServer
) -> None:
    go_live(page, f"{frozen_market.url}/?engine=py&snapshot=off")
    assert how_it_started(page) is None  # the pinned Pyodide itself, not our loader
    booted = computed(page)
    go_live(page, f"{frozen_market.url}/?engine=py")
    started = how_it_started(page)
    assert started is not None
    assert started["source"] == "snapshot", started
    assert started["heap_bytes"] == int(re.findall(r"bytes=(\d+)", page.content())[0])
    assert computed(page) == booted
    assert page.locator('[data-symbol="BTC/USD"] [data-field="price"]').inner_text() != ""
    assert page_log.errors == []
    assert page_log.foreign_requests() == []
    assert not [line for line in page_log.console if NOT_USED in line]


def truncated(heap: bytes, packed: bytes) -> bytes:
    return packed[: len(packed) // 2]


def corrupted(heap: bytes, packed: bytes) -> bytes:
    middle = len(packed) // 2
    return (
        packed[:middle]
        + bytes(byte ^ 0xFF for byte in packed[middle : middle + 64])
        + (packed[middle + 64 :])
    )


def another_build(heap: bytes, packed: bytes) -> bytes:
    """Whole and the right size, but made by another Pyodide build: its build id differs."""
    build_id = slice(16, 48)  # after the magic, the header's offsets, in Pyodide 314's layout
    other = bytearray(heap)
    other[build_id] = bytes(byte ^ 0x5A for byte in other[build_id])
    return gzip.compress(bytes(other), 1)


DAMAGE: dict[str, Callable[[bytes, bytes], bytes]] = {
    "truncated": truncated,
    "corrupted": corrupted,
    "another Pyodide build": another_build,
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_snapshot_is_discarded_and_pyodide_boots(
    page: Page, page_log: PageLog, server: RunningServer, damage: str
) -> None:
    snapshot_url = re.findall(r"/pyodide-snapshot-\w+\.bin\.gz", httpx.get(server.url).text)[0]
    packed = httpx.get(server.url + snapshot_url).content
    served = DAMAGE[damage](gzip.decompress(packed), packed)

    def serve(route: Route) -> None:
        route.fulfill(status=200, body=served, content_type="application/gzip")

    page.route(SNAPSHOT_ROUTE, serve)
    go_live(page, f"{server.url}/?engine=py")
    started = how_it_started(page)
    assert started is not None
    assert started["source"] == "boot"
    assert started["reason"]
    warnings = [line for line in page_log.console if NOT_USED in line]
    assert len(warnings) == 1, page_log.console
    assert page_log.errors == []
    assert page_log.foreign_requests() == []


def test_a_missing_snapshot_is_discarded_and_pyodide_boots(
    page: Page, page_log: PageLog, server: RunningServer
) -> None:
    page.route(SNAPSHOT_ROUTE, lambda route: route.fulfill(status=404, body="gone"))
    go_live(page, f"{server.url}/?engine=py")
    started = how_it_started(page)
    assert started is not None
    assert started["source"] == "boot"
    assert "404" in str(started["reason"])
    assert len([line for line in page_log.console if NOT_USED in line]) == 1


def test_a_snapshot_of_another_client_archive_is_discarded(
    page: Page, page_log: PageLog, server: RunningServer, tmp_path: Path
) -> None:
    """The page loads one client archive, the snapshot holds another's modules (a server
    updated between the page and its snapshot): restored, checked, and booted again."""
    client = tmp_path / "client"
    shutil.copytree(ROOT / "client", client)
    with (client / "texts.py").open("a", encoding="utf-8") as source:
        source.write("# another version of the client\n")
    other = snapshot_bundle(engine_bundles(client, ROOT / "shims" / "micropython"))
    made = load_or_make(tmp_path / "cache", PYODIDE.directory(ROOT / "node_modules"), other)
    assert made is not None
    page.route(
        SNAPSHOT_ROUTE,
        lambda route: route.fulfill(status=200, body=made.compressed, content_type=MEDIA_TYPE),
    )
    go_live(page, f"{server.url}/?engine=py")
    started = how_it_started(page)
    assert started is not None
    assert started["source"] == "boot"
    assert other.digest in str(started["reason"])
    assert len([line for line in page_log.console if NOT_USED in line]) == 1
    assert page_log.errors == []


def test_the_worker_engine_starts_from_the_snapshot_too(
    page: Page, page_log: PageLog, server: RunningServer
) -> None:
    go_live(page, f"{server.url}/?engine=py-worker")
    assert any(SNAPSHOT_ROUTE.match(url) for url in page_log.requests)
    assert not [line for line in page_log.console if NOT_USED in line]
    assert page_log.errors == []
