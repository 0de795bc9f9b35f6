"""`python -m bench.screenshots` into a temporary folder: three real PNGs of the expected size.

It runs as a subprocess: this session may already run Playwright's sync API in this thread.
"""

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from bench.screenshots import ANALYTICS, COMPARE, COMPARE_VIEWPORT, DASHBOARD, DASHBOARD_VIEWPORT
from tests.conftest import ROOT

SCREENSHOTS_TIMEOUT_S = 300  # a safety net: three cold Pyodide starts on a busy machine
SETTLE_S = "0.5"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
IHDR_SIZE = struct.Struct(">4sII")  # chunk type, width, height, after the chunk's length
IHDR_OFFSET = len(PNG_SIGNATURE) + 4
# A live page is full of text and lines; an empty page of this size compresses to a few KB.
MIN_BYTES = 50_000
STDERR_TAIL_CHARS = 4000

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(SCREENSHOTS_TIMEOUT_S + 30)]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE), f"{path} is not a PNG"
    kind, width, height = IHDR_SIZE.unpack_from(data, IHDR_OFFSET)
    assert kind == b"IHDR", f"{path} has no IHDR chunk first"
    return width, height


def test_one_command_writes_every_screenshot(tmp_path: Path) -> None:
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.screenshots",
            "--output",
            str(tmp_path),
            "--settle",
            SETTLE_S,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=SCREENSHOTS_TIMEOUT_S,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-STDERR_TAIL_CHARS:]
    dashboard, analytics, compare = (tmp_path / name for name in (DASHBOARD, ANALYTICS, COMPARE))
    assert finished.stdout.split() == [str(dashboard), str(analytics), str(compare)]

    width, height = png_size(dashboard)  # the whole page: as tall as the dashboard is
    assert width == DASHBOARD_VIEWPORT["width"]
    assert height > DASHBOARD_VIEWPORT["height"], "the performance panel is below the first screen"
    assert png_size(compare) == (COMPARE_VIEWPORT["width"], COMPARE_VIEWPORT["height"])
    assert png_size(analytics) == (COMPARE_VIEWPORT["width"], COMPARE_VIEWPORT["height"])
    for path in (dashboard, analytics, compare):
        assert path.stat().st_size > MIN_BYTES, f"{path} looks empty"
