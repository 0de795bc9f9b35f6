"""The engine table: each row is everything the server needs to serve one engine."""

from typing import Any

import pytest

from server.engines import (
    BY_KEY,
    COMPARABLE,
    DEFAULT_ENGINE,
    ENGINES,
    PYSCRIPT_ENGINES,
    RUNTIMES,
    Runtime,
    engine_bundles,
    engine_config,
)
from server.pages import page_head
from server.settings import Settings
from server.startup_snapshot import StartupSnapshot

VENDOR_URLS = {
    "pyodide": "/vendor/pyodide/1",
    "pyscript": "/vendor/pyscript/1",
    "micropython": "/vendor/micropython/1",
}


@pytest.fixture(scope="module")
def bundles():
    settings = Settings()
    return engine_bundles(settings.client_dir, settings.micropython_shims_dir)


def test_keys_and_config_urls_are_unique():
    assert len(BY_KEY) == len(ENGINES)
    urls = [engine.config_url for engine in PYSCRIPT_ENGINES]
    assert len(set(urls)) == len(urls)
    assert all(url.startswith("/") for url in urls)
    assert DEFAULT_ENGINE in BY_KEY


def test_every_pyscript_engine_has_a_bundle_and_runtimes_share_theirs(bundles):
    assert set(bundles) == {engine.key for engine in PYSCRIPT_ENGINES}
    assert bundles["py-worker"] is bundles["py"]  # one Pyodide bundle, built once
    assert bundles["mpy"].digest != bundles["py"].digest  # compiled, with the shims


def test_config_follows_the_row(bundles):
    worker: dict[str, Any] = engine_config(BY_KEY["py-worker"], bundles["py-worker"], VENDOR_URLS)
    assert worker["interpreter"] == "/vendor/pyodide/1/pyodide.mjs"
    assert "worker" in worker["js_modules"]
    assert worker["files"] == {bundles["py"].url: "./*"}
    micropython: dict[str, Any] = engine_config(BY_KEY["mpy"], bundles["mpy"], VENDOR_URLS)
    assert "worker" not in micropython["js_modules"]
    assert len(micropython["files"]) == len(bundles["mpy"].sources)  # listed, not the archive


def test_the_javascript_engine_has_no_pyscript_config(bundles):
    with pytest.raises(ValueError, match="not run by PyScript"):
        engine_config(BY_KEY["js"], bundles["py"], VENDOR_URLS)


def test_compare_offers_every_engine_but_the_worker():
    assert [key for key, _ in COMPARABLE] == ["py", "mpy", "js"]


SNAPSHOT = StartupSnapshot("0123abcd", b"", 31_457_424, "c1d2")
LOADER = (
    "/public/pyodide-runtime.mjs?snapshot=/pyodide-snapshot-0123abcd.bin.gz&bytes=31457424"
    "&digest=c1d2&runtime=/vendor/pyodide/1/pyodide.mjs"
)


def page_head_of(key: str, client_files: list[str], snapshot: StartupSnapshot | None = None):
    chunks = ["/vendor/pyscript/1/core-x.js"]
    return page_head(BY_KEY[key], VENDOR_URLS, chunks, client_files, snapshot)


def test_the_page_preloads_what_its_engine_fetches_as_it_starts():
    head = page_head_of("py", ["/client-1.zip"])
    hrefs = [link.href for link in head.preloads]
    assert hrefs[:3] == [
        "/public/bridge.js",  # the early socket's (below)
        "/vendor/pyscript/1/core.js",
        "/vendor/pyscript/1/core-x.js",
    ]
    assert "/vendor/pyodide/1/pyodide.mjs" in hrefs
    assert "/vendor/pyodide/1/pyodide.asm.wasm" in hrefs
    assert hrefs[-1] == "/client-1.zip"
    assert head.modules == ["/public/boot.js", "/vendor/pyscript/1/core.js"]
    assert head.classic_scripts == ["/public/connect.js"]


def test_a_pyodide_page_with_a_snapshot_starts_its_loader_and_fetches_the_snapshot_at_once(
    bundles,
):
    head = page_head_of("py", ["/client-1.zip"], SNAPSHOT)
    hrefs = [link.href for link in head.preloads]
    assert LOADER in hrefs
    assert SNAPSHOT.url in hrefs
    assert not next(link for link in head.preloads if link.href == SNAPSHOT.url).module
    # Run from the head, not only when PyScript imports it: the restore starts sooner.
    assert head.modules == ["/public/boot.js", LOADER, "/vendor/pyscript/1/core.js"]
    assert (
        engine_config(BY_KEY["py"], bundles["py"], VENDOR_URLS, SNAPSHOT)["interpreter"] == LOADER
    )


def test_the_worker_loads_the_snapshot_itself_and_micropython_has_none(bundles):
    worker = page_head_of("py-worker", ["/client-1.zip"], SNAPSHOT)
    assert worker.modules == ["/public/boot.js", "/vendor/pyscript/1/core.js"]
    assert engine_config(BY_KEY["py-worker"], bundles["py"], VENDOR_URLS, SNAPSHOT)[
        "interpreter"
    ] == (LOADER)
    micropython = page_head_of("mpy", [], SNAPSHOT)
    assert not any("snapshot" in link.href for link in micropython.preloads)
    interpreter = engine_config(BY_KEY["mpy"], bundles["mpy"], VENDOR_URLS, SNAPSHOT)["interpreter"]
    assert "snapshot" not in str(interpreter)


def test_a_worker_page_preloads_no_runtime_and_micropython_opens_its_socket_early():
    worker = page_head_of("py-worker", ["/client-1.zip"])
    assert not any("pyodide" in link.href or "client" in link.href for link in worker.preloads)
    micropython = page_head_of("mpy", [])
    assert micropython.classic_scripts == ["/public/connect.js"]
    assert micropython.preloads[0].href == "/public/bridge.js"
    assert "/vendor/micropython/1/micropython.wasm" in [link.href for link in micropython.preloads]


def test_the_javascript_page_runs_its_one_module():
    head = page_head_of("js", [])
    assert head == ([], [], ["/public/baseline.js"])


def test_start_up_names_the_runtime_and_its_progress_steps():
    assert BY_KEY["py-worker"].start_up()["runtime"] == "Pyodide, in a worker"
    assert BY_KEY["mpy"].start_up()["event_prefix"] == "mpy"
    assert BY_KEY["py"].start_up()["steps"] == list(RUNTIMES[Runtime.PYODIDE].steps)
    assert "Loading Pyodide" in RUNTIMES[Runtime.PYODIDE].steps
    assert BY_KEY["js"].start_up() == {}
