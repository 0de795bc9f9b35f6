"""Fixtures that start the real server: `python -m server --port 0`, URL read from its stdout."""

import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from server.__main__ import LISTENING

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 5.0
TEST_SEED = 7


@dataclass
class RunningServer:
    process: subprocess.Popen[str]
    url: str  # http://127.0.0.1:PORT
    log_path: Path
    args: tuple[str, ...] = field(default=())

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http") + "/ws"

    @property
    def origin(self) -> str:
        return self.url

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _read_url(process: subprocess.Popen[str], log_path: Path) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log_path.read_text()}")
        ready, _, _ = select.select([process.stdout], [], [], 0.1)
        if ready:
            line = process.stdout.readline()
            if line.startswith(LISTENING):
                return line.removeprefix(LISTENING).strip()
    raise RuntimeError(
        f"server did not print its URL in {START_TIMEOUT_S} s:\n{log_path.read_text()}"
    )


def _drain(process: subprocess.Popen[str], log_path: str) -> None:
    """Copy what the server prints after its URL (uvicorn's access log) into its log file. An
    undrained pipe filled after some hundreds of requests, and the server then hung on its next
    write: every page of the tests after that timed out."""
    assert process.stdout is not None
    with open(log_path, "a", encoding="utf-8") as log:
        try:
            for line in process.stdout:
                log.write(line)
        except (ValueError, OSError):  # stop_server closed the pipe first: nothing more to copy
            return


@contextmanager
def start_server(*args: str, port: int = 0) -> Iterator[RunningServer]:
    """Start `python -m server` with `args`; stop it (SIGINT, then SIGKILL) on exit."""
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept open for the server's lifetime
        prefix="tickscope-server-", suffix=".log", delete=False
    )
    command = [sys.executable, "-m", "server", "--port", str(port), *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True, env=env
    )
    try:
        url = _read_url(process, Path(log.name))
        threading.Thread(target=_drain, args=(process, log.name), daemon=True).start()
        yield RunningServer(process, url, Path(log.name), tuple(args))
    finally:
        stop_server(process)
        log.close()


def stop_server(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout:
        process.stdout.close()


@pytest.fixture(scope="session")
def server() -> Iterator[RunningServer]:
    """One shared server for tests that only read the stream. Tests that change the market's
    settings start their own with `start_server`."""
    with start_server("--seed", str(TEST_SEED)) as running:
        yield running
