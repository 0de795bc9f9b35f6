"""The client core's portable unit tests, run inside MicroPython.

The interpreter is the npm package PyScript's MicroPython engine loads in the page, run by Node
(`tests/portable/run_micropython.mjs`), and the client code is the MicroPython engine's own
archive as the server builds it: the client package plus the shims for what MicroPython lacks.
Whatever the client core needs that only CPython has fails here.
"""

import base64
import io
import zipfile

import pytest

from server.engines import engine_bundles
from server.node import NodeError, run_json
from server.settings import Settings
from server.vendor import micropython_loader_uri
from tests.conftest import ROOT
from tests.portable_suite import (
    describe_failures,
    names_under_cpython,
    portable_modules,
    portable_sources,
)

MICROPYTHON = micropython_loader_uri(ROOT)  # as the page runs it, heap size included
RUNNER = ROOT / "tests" / "portable" / "run_micropython.mjs"
TIMEOUT_S = 60


def engine_archive() -> dict[str, bytes]:
    """The files the MicroPython engine gets (compiled to bytecode), by path."""
    settings = Settings()
    bundle = engine_bundles(settings.client_dir, settings.micropython_shims_dir)["mpy"]
    with zipfile.ZipFile(io.BytesIO(bundle.archive)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def run_in_micropython(
    files: dict[str, str], modules: list[str], compiled: dict[str, bytes] | None = None
) -> dict:
    """Run `modules` with `files` (text) and `compiled` (bytecode) in MicroPython's file system."""
    binary = {name: base64.b64encode(data).decode() for name, data in (compiled or {}).items()}
    setup = {"module": MICROPYTHON, "files": files, "binary": binary, "modules": modules}
    try:
        result: dict = run_json(RUNNER, setup, TIMEOUT_S)
    except NodeError as failure:
        pytest.fail(str(failure))
    return result


def test_every_portable_client_test_passes_inside_micropython() -> None:
    ran = run_in_micropython(portable_sources(), portable_modules(), engine_archive())
    results = ran["results"]
    assert results["failed"] == [], "failed in MicroPython:\n" + describe_failures(
        results["failed"]
    )
    assert results["total"] > 0
    assert results["total"] == len(results["passed"])
    assert set(results["passed"]) == names_under_cpython()


def test_the_micropython_runner_reports_failures() -> None:
    # Without the shims, `from __future__ import annotations` fails to import under MicroPython:
    # proof that the run above is really MicroPython, with the archive's shims.
    files = {name: data for name, data in engine_archive().items() if "/" in name}
    ran = run_in_micropython(portable_sources(), ["tests.portable.test_store"], files)
    [failure] = ran["results"]["failed"]
    assert failure["name"] == "tests.portable.test_store"
    assert "__future__" in failure["error"]
