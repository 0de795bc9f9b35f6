"""Where a result was measured: machine, browser, code version."""

import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
MODEL_FIELD = "model name"
ROOT = Path(__file__).resolve().parent.parent
GIT_TIMEOUT_S = 5.0


def cpu_model() -> str | None:
    try:
        lines = CPUINFO.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        name, _, value = line.partition(":")
        if name.strip() == MODEL_FIELD:
            return value.strip()
    return platform.processor() or None


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args],
            check=False,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def code_version() -> dict[str, object]:
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": _git("rev-parse", "HEAD"),
        "dirty": bool(status) if status is not None else None,
    }


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages: other work on the machine skews every number."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def machine_info(chromium_version: str, load_at_start: list[float] | None) -> dict[str, object]:
    return {
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "chromium": chromium_version,
        "playwright": metadata.version("playwright"),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": code_version(),
        "load_average_at_start": load_at_start,
    }
