"""`python -m server.cluster` (make run-cluster): prints its URLs; stopping it stops everything."""

import signal
import subprocess
import sys
import time
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
    launcher = subprocess.Popen(
        [sys.executable, "-m", "server.cluster", "--processes", "2", "--", "--seed", "7"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        redis_line, *server_lines = read_until(launcher, 3)
        redis_port = urlsplit(redis_line.split()[1]).port
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
    for url in urls:
        with pytest.raises(httpx.ConnectError):
            httpx.get(url + "/healthz", timeout=1.0)
