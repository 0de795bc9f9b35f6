"""Pyodide's start-up snapshot as a real server makes and serves it (server/startup_snapshot.py):
made under Node from the pinned Pyodide and the page's own client archive, served gzipped under
an immutable, hash-named URL, named in the Pyodide pages' config, and absent where it is off."""

import gzip
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from server.engines import engine_bundles, snapshot_bundle
from server.startup_snapshot import load_or_make, split_modules
from server.vendor import PYODIDE
from tests.conftest import ROOT, RunningServer, start_server
from tests.integration.test_http import IMMUTABLE, parse

SNAPSHOT_MAGIC = b"\x00snp"  # what Pyodide 314's snapshots start with
PINNED = re.compile(r"/vendor/pyodide/[\d.]+/pyodide\.mjs")


def interpreter_of(server: RunningServer, query: str = "") -> str:
    html = httpx.get(f"{server.url}/?engine=py{query}").text
    [script] = [node for node in parse(html) if node["tag"] == "script" and "config" in node]
    return str(json.loads(script["config"])["interpreter"])


def loader_query(interpreter: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(interpreter).query).items()}


def test_the_pyodide_page_is_offered_a_snapshot_of_its_own_client_archive(
    server: RunningServer,
) -> None:
    interpreter = interpreter_of(server)
    assert interpreter.startswith("/public/pyodide-runtime.mjs?")
    query = loader_query(interpreter)
    assert PINNED.fullmatch(query["runtime"])
    response = httpx.get(server.url + query["snapshot"])
    assert response.status_code == 200
    assert response.headers["cache-control"] == IMMUTABLE
    assert response.headers["content-type"] == "application/gzip"
    # On the wire and in the browser's cache it is a fraction of the heap it unpacks to.
    assert len(response.content) < int(query["bytes"]) / 3
    heap = gzip.decompress(response.content)
    assert len(heap) == int(query["bytes"])
    assert heap.startswith(SNAPSHOT_MAGIC)
    archive = re.search(
        r"/client-(\w+)\.zip", json.dumps(httpx.get(server.url + "/pyscript.json").json())
    )
    assert archive is not None
    assert query["digest"] == archive[1]


def test_the_page_preloads_the_snapshot_it_is_offered(server: RunningServer) -> None:
    snapshot = loader_query(interpreter_of(server))["snapshot"]
    html = httpx.get(f"{server.url}/?engine=py").text
    preloads = [
        node for node in parse(html) if node["tag"] == "link" and node.get("rel") == "preload"
    ]
    assert [node["href"] for node in preloads if "snapshot" in node["href"]] == [snapshot]


def test_snapshot_off_boots_the_pinned_pyodide_without_one(server: RunningServer) -> None:
    interpreter = interpreter_of(server, "&snapshot=off")
    assert PINNED.fullmatch(interpreter)
    html = httpx.get(f"{server.url}/?engine=py&snapshot=off").text
    assert "pyodide-snapshot-" not in html
    booting = httpx.get(server.url + "/pyscript.json?snapshot=off").json()
    assert PINNED.fullmatch(booting["interpreter"])


@pytest.mark.parametrize("engine", ["mpy", "js"])
def test_other_runtimes_are_offered_no_snapshot(server: RunningServer, engine: str) -> None:
    assert "pyodide-snapshot-" not in httpx.get(f"{server.url}/?engine={engine}").text


def test_a_snapshot_that_is_not_the_current_one_is_not_found(server: RunningServer) -> None:
    response = httpx.get(server.url + "/pyodide-snapshot-0123456789abcdef.bin.gz")
    assert response.status_code == 404
    assert "reload the page" in response.text


def test_without_the_snapshot_the_server_offers_none() -> None:
    with start_server("--no-startup-snapshot") as server:
        assert PINNED.fullmatch(interpreter_of(server))
        assert "pyodide-snapshot-" not in httpx.get(server.url + "/").text


def test_the_snapshot_imports_the_client_modules_that_never_touch_the_browser() -> None:
    bundle = snapshot_bundle(engine_bundles(ROOT / "client", ROOT / "shims" / "micropython"))
    portable, browser = split_modules(bundle.sources)
    for module in ("client.protocol", "client.signals", "client.store", "client.analytics"):
        assert module in portable
    # runtime touches `js`; chrome, frames and main import it (main through others too).
    for module in ("client.runtime", "client.chrome", "client.frames", "client.main"):
        assert module not in portable
        assert module in browser


def test_a_damaged_kept_snapshot_is_made_again(tmp_path: Path) -> None:
    bundle = snapshot_bundle(engine_bundles(ROOT / "client", ROOT / "shims" / "micropython"))
    runtime = PYODIDE.directory(ROOT / "node_modules")
    made = load_or_make(tmp_path, runtime, bundle)
    assert made is not None
    [kept] = tmp_path.glob("*.bin.gz")
    kept.write_bytes(kept.read_bytes()[: len(made.compressed) // 2])  # cut short
    again = load_or_make(tmp_path, runtime, bundle)
    assert again is not None
    assert again.heap_bytes == made.heap_bytes
    assert len(gzip.decompress(kept.read_bytes())) == made.heap_bytes


def test_a_failing_maker_leaves_pages_booting_pyodide(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bundle = snapshot_bundle(engine_bundles(ROOT / "client", ROOT / "shims" / "micropython"))
    broken = tmp_path / "pyodide"
    broken.mkdir()
    (broken / "pyodide.mjs").write_text('throw new Error("not a Pyodide");\n')
    with caplog.at_level("WARNING", logger="tickscope.snapshot"):
        assert load_or_make(tmp_path / "cache", broken, bundle) is None
    assert "not a Pyodide" in caplog.text
    assert list((tmp_path / "cache").glob("*.bin.gz")) == []
