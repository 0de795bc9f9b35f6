"""The benchmarks' Node runners: a script that reads its setup as JSON on stdin and writes its
results as JSON on stdout (engines' interpreters under Node's V8, as in Chromium)."""

import os
import subprocess
from pathlib import Path
from typing import Any

from bench.machine import code_version, cpu_model
from server.node import NodeError, run_json

NODE_TIMEOUT_S = 600


def run_node(runner: Path, setup: dict[str, Any], command: str) -> Any:
    """`runner`'s results for `setup`; exits with `command`'s name and the runner's last
    words if it fails."""
    try:
        return run_json(runner, setup, NODE_TIMEOUT_S)
    except NodeError as failure:
        raise SystemExit(f"{command}: {failure}") from failure


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
