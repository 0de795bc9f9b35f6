"""The benchmarks' Node runners: a script that reads its setup as JSON on stdin and writes its
results as JSON on stdout (engines' interpreters under Node's V8, as in Chromium)."""

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from bench.machine import code_version, cpu_model

NODE_TIMEOUT_S = 600
STDERR_LINES = 6  # of a failed runner's output, in the error
STDERR_CHARS = 900


def run_node(runner: Path, setup: dict[str, Any], command: str) -> Any:
    """`runner`'s results for `setup`; exits with `command`'s name and the runner's last
    words if it fails."""
    node = shutil.which("node")
    if node is None:
        raise SystemExit(f"{command} needs node (make install-test installs it)")
    finished = subprocess.run(
        [node, str(runner)],
        input=json.dumps(setup),
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_S,
        check=False,
    )
    if finished.returncode != 0:
        last = " ".join(finished.stderr.strip().splitlines()[-STDERR_LINES:])
        raise SystemExit(f"{command}: the Node runner failed: {last[-STDERR_CHARS:]}")
    return json.loads(finished.stdout)


def node_version() -> str:
    return subprocess.run(
        ["node", "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()


def node_machine(load_at_start: Any) -> dict[str, Any]:
    """Where a Node benchmark ran: the machine, Node, the load as it started, the code."""
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "node": node_version(),
        "load_average_at_start": load_at_start,
        "code": code_version(),
    }
