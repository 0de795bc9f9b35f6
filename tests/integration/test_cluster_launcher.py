"""`python -m server.cluster` (make run-cluster): prints its URLs; stopping it stops everything."""

import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from server.cluster import _answers
from tests.conftest import ROOT

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


def read_until(process: subprocess.Popen[str], count: int) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT_S
    while len(lines) < count and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
    return lines


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_the_launcher_starts_redis_and_servers_and_stopping_it_stops_them_all(
    stop: signal.Signals,
) -> None:
    # Under /tmp itself: as root, PostgreSQL's own user must reach its data directory.
    kept = Path(tempfile.mkdtemp(prefix="tickscope-cluster-test-"))
    kept.chmod(0o755)
    launcher = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "server.cluster",
            "--processes",
            "2",
            "--history-dir",
            str(kept / "postgres"),
            "--",
            "--seed",
            "7",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        redis_line, postgres_line, *server_lines = read_until(launcher, 4)
        redis_port = urlsplit(redis_line.split()[1]).port
        postgres_port = urlsplit(postgres_line.split()[1]).port
        assert postgres_line.startswith("PostgreSQL: postgresql://"), postgres_line
        urls = [line.split()[-1] for line in server_lines]
        assert len(urls) == 2, server_lines
        roles = sorted(httpx.get(url + "/healthz").json()["role"] for url in urls)
        assert roles in (["follower", "leader"], ["follower", "follower"])
        launcher.send_signal(stop)
        launcher.wait(STOP_TIMEOUT_S)
    finally:
        if launcher.poll() is None:
            launcher.kill()
    assert redis_port is not None
    assert not _answers(redis_port), "Redis outlived the launcher"
    assert postgres_port is not None
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", postgres_port), timeout=1.0).close()
    assert (kept / "postgres" / "data" / "PG_VERSION").exists(), "the history is kept"
    shutil.rmtree(kept, ignore_errors=True)
    for url in urls:
        with pytest.raises(httpx.ConnectError):
            httpx.get(url + "/healthz", timeout=1.0)
