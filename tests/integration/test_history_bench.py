"""`python -m bench.history` end to end on small settings: it measures every part and writes
its JSON where it is told."""

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_the_history_bench_measures_every_part(tmp_path: Path) -> None:
    output = tmp_path / "history.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench.history", "--rounds", "1", "--duration", "1",
         "--warmup", "0.5", "--queries", "1", "--replay-messages", "20000",
         "--output", str(output)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(output.read_text())
    assert data["insert"]["median_p95_ms"]["on"] > 0
    assert data["insert"]["cells"]["on"][0]["history"]["status"] == "ok"
    assert data["insert"]["cells"]["on"][0]["history"]["written"] > 0
    assert data["candles"]["candles"] == 86_400
    assert [r["history"] for r in data["replay"]] == [False, True]
    assert all(r["messages"] > 0 for r in data["replay"])
    assert f"wrote {output}" in result.stdout
