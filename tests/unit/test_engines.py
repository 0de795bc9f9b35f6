"""The engine table: each row is everything the server needs to serve one engine."""

import pytest

from server.engines import (
    BY_KEY,
    COMPARABLE,
    DEFAULT_ENGINE,
    ENGINES,
    PYSCRIPT_ENGINES,
    engine_bundles,
    engine_config,
)
from server.settings import Settings

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
    worker = engine_config(BY_KEY["py-worker"], bundles["py-worker"], VENDOR_URLS)
    assert worker["interpreter"] == "/vendor/pyodide/1/pyodide.mjs"
    assert "worker" in worker["js_modules"]
    assert worker["files"] == {bundles["py"].url: "./*"}
    micropython = engine_config(BY_KEY["mpy"], bundles["mpy"], VENDOR_URLS)
    assert "worker" not in micropython["js_modules"]
    assert len(micropython["files"]) == len(bundles["mpy"].sources)  # listed, not the archive


def test_the_javascript_engine_has_no_pyscript_config(bundles):
    with pytest.raises(ValueError, match="not run by PyScript"):
        engine_config(BY_KEY["js"], bundles["py"], VENDOR_URLS)


def test_compare_offers_every_engine_but_the_worker():
    assert [key for key, _ in COMPARABLE] == ["py", "mpy", "js"]
