"""MicroPython 1.27.0's collector frees a heap area it grew whose only live object is the area's
first block, as if the area were empty; the object's memory is then reused while the engine
still holds it. Our loader (public/micropython-runtime.mjs) starts MicroPython with a heap the
engine never outgrows, so no area is ever added. Run in Node with the pinned npm package."""

import json
import shutil
import subprocess

import pytest

from server.settings import ROOT
from server.vendor import MICROPYTHON, micropython_loader_uri

RUNNER = ROOT / "tests" / "unit" / "heap_areas.mjs"
PINNED = (MICROPYTHON.directory(ROOT / "node_modules") / "micropython.mjs").as_uri()
TIMEOUT_S = 60


def grow_and_reuse(module: str) -> dict[str, list[str] | int]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: `make test` needs node/npm")
    completed = subprocess.run(
        [node, str(RUNNER), module], capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )
    assert completed.returncode == 0, completed.stderr
    result: dict[str, list[str] | int] = json.loads(completed.stdout)
    return result


def test_the_pinned_build_frees_an_area_that_still_holds_a_live_object() -> None:
    # The defect the loader's heap size exists for. Should a new pinned build fix it, this
    # fails: then the loader's heap size can go.
    result = grow_and_reuse(PINNED)
    assert result["areas"]
    assert result["kept"] != result["expected"]


def test_as_the_page_runs_it_the_heap_grows_no_area_and_keeps_every_object() -> None:
    result = grow_and_reuse(micropython_loader_uri(ROOT))
    assert result["areas"] == 0
    assert result["kept"] == result["expected"]
