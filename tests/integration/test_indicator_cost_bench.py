"""`python -m bench.indicator_cost` end to end on few bars: both engines' interpreters run the
indicators under Node, and the result has a figure for each."""

import json
import subprocess
import sys
from pathlib import Path

from client.indicators import BUILT_IN
from tests.conftest import ROOT


def test_the_indicator_bench_measures_every_indicator_in_both_engines(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.indicator_cost", "--bars", "200", "--repeats", "1",
         "--output", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (written,) = tmp_path.glob("indicators-*.json")
    data = json.loads(written.read_text())
    for engine in ("py", "mpy"):
        figures = data["us_per_bar"][engine]
        assert sorted(figures) == sorted(BUILT_IN)
        assert all(value > 0 for values in figures.values() for value in values)
    assert "| sma |" in result.stdout
