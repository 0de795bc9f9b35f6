"""Node scripts as the server and the benchmarks run them: the setup as JSON on stdin, the
result as JSON on stdout (Pyodide and MicroPython under Node's V8, as in Chromium)."""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

STDERR_LINES = 8  # of a failed script's output, in the error (Node prints the failing source)
STDERR_LINE_CHARS = 300


class NodeError(RuntimeError):
    """Node is missing, or the script failed or took too long; says which, in one line."""


def run_json(script: Path, setup: dict[str, Any], timeout_s: float) -> Any:
    """`script`'s result for `setup`."""
    node = shutil.which("node")
    if node is None:
        raise NodeError("node is not installed (make install installs it)")
    try:
        finished = subprocess.run(
            [node, str(script)],
            input=json.dumps(setup),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as slow:
        raise NodeError(f"{script.name} took over {timeout_s:g} s") from slow
    if finished.returncode != 0:
        last = finished.stderr.strip().splitlines()[-STDERR_LINES:]
        words = " | ".join(line[:STDERR_LINE_CHARS] for line in last)
        raise NodeError(f"{script.name} failed: {words}")
    return json.loads(finished.stdout)
