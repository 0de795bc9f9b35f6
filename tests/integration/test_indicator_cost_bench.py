"""`python -m bench.indicator_cost` end to end on few bars: the Python engines' interpreters and
the JS engine's analytics.js run the indicators under Node, and the result has a figure for
each; `python -m bench`'s report shows them."""

import json
import subprocess
import sys
from pathlib import Path

from bench import report
from client.indicators import BUILT_IN
from tests.conftest import ROOT


def test_the_indicator_bench_measures_every_indicator_in_every_engine(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.indicator_cost", "--bars", "200", "--repeats", "1",
         "--output", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (written,) = tmp_path.glob("indicators-*.json")
    data = json.loads(written.read_text())
    for engine in ("py", "mpy", "js"):
        figures = data["us_per_bar"][engine]
        assert sorted(figures) == sorted(BUILT_IN)
        assert all(value > 0 for values in figures.values() for value in values)
    assert "| sma |" in result.stdout


def test_the_browser_benchmarks_report_shows_the_costs() -> None:
    costs = {"py": {"sma": [0.5, 0.6, 0.55]}, "js": {"sma": [0.1, 0.2, 0.15]}}
    shown = report.markdown({"indicator_cost_us": costs, "settings": {}, "machine": {}})
    dash = "\N{EN DASH}"
    assert f"| sma | 0.55 (0.50{dash}0.60) | 0.15 (0.10{dash}0.20) |" in shown
