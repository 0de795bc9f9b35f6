"""`python -m bench.encoding` runs every engine's decoders and writes a complete result."""

import json
import subprocess
import sys
from pathlib import Path

from server.settings import ROOT

ENGINES = {"js", "py", "mpy"}
CODECS = {"json", "msgpack"}


def test_the_encoding_benchmark_measures_every_engine_and_codec(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "bench.encoding", "--seconds", "0.05", "--output", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert "| server encode, µs/msg |" in finished.stdout
    [path] = tmp_path.glob("encoding-*.json")
    result = json.loads(path.read_text())
    assert result["server"]["json"]["bytes"] > result["server"]["msgpack"]["bytes"] > 0
    measured = {(row["engine"], row["codec"]) for row in result["decode_us"] if row["us"]}
    # MicroPython cannot import msgpack's pure-Python decoder: it says so instead.
    assert measured == {(engine, codec) for engine in ENGINES for codec in CODECS} - {
        ("mpy", "msgpack")
    }
    unmeasured = [row for row in result["decode_us"] if not row["us"]]
    assert unmeasured
    assert all("does not import" in row["error"] for row in unmeasured)
