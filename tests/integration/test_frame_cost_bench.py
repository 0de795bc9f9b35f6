"""`python -m bench.frame_cost` runs the client under MicroPython and writes a complete result."""

import json
import subprocess
import sys
from pathlib import Path

from server.settings import ROOT

# A frame at 1000 msgs/s changes 8 cards and about 5 books. Sending each sparkline whole (200
# points, ~2 KB) made it ~22,000 characters; the sparklines' changes alone keep it near 3,200.
MAX_CHARS_PER_FRAME = 8_000


def test_the_frame_cost_benchmark_measures_every_view_kind(tmp_path: Path) -> None:
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.frame_cost",
            "--loads",
            "1000",
            "--frames",
            "30",
            "--output",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert "| 1,000 |" in finished.stdout
    [path] = tmp_path.glob("frames-*.json")
    [result] = json.loads(path.read_text())["results"]
    assert result["frames"] == 30
    assert result["msgs_per_frame"] > 10
    assert {"card", "book", "trades"} <= set(result["views"])
    assert result["views"]["card"]["runs_per_frame"] > 1
    assert all(cost["p50_us"] > 0 for cost in result["views"].values())
    assert 0 < result["frame_cpu_us"]["p50"] <= result["frame_cpu_us"]["p95"]
    assert 0 < result["chars_per_frame"] < MAX_CHARS_PER_FRAME
    assert result["output"] == [], "MicroPython printed something: an error in a view?"
