"""`python -m server` and `tickscope` as a person runs them: help, bad values, a busy port, a
clean stop; and server/launch.py's errors when a server does not come up."""

import asyncio
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from server.cli import SCRIPT_PROG
from server.launch import LaunchError, launch
from tests.conftest import ROOT, RunningServer, start_server
from tests.integration.wsclient import run, ws_client

RUN_TIMEOUT_S = 30
GOING_AWAY = 1001
STOP_WITHIN_S = 2.0


def run_server(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )


def test_help_documents_every_option() -> None:
    result = run_server("--help")
    assert result.returncode == 0
    for option in ("--host", "--port", "--symbols", "--seed", "--frequency-ms"):
        assert option in result.stdout
    assert "127.0.0.1" in result.stdout
    assert "8000" in result.stdout


def test_bad_values_exit_with_one_line_not_a_traceback() -> None:
    for args in (["--frequency-ms", "5"], ["--port", "-1"], ["--symbols", "0"], ["--seed", "x"]):
        result = run_server(*args)
        assert result.returncode == 2, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert "Traceback" not in result.stderr


def test_a_busy_port_is_one_clear_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        result = run_server("--port", str(busy))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"tickscope: error: cannot listen on 127.0.0.1:{busy}: Address already in use"
    ]


def test_ctrl_c_stops_the_server_cleanly() -> None:
    with start_server() as server:
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(10) == 130  # the shell's code for "ended by Ctrl-C"
        assert "Traceback" not in server.log()


def test_sigterm_closes_every_client_with_1001_and_exits_within_two_seconds() -> None:
    async def scenario(server: RunningServer) -> list[int | None]:
        codes: list[int | None] = []
        async with ws_client(server) as first, ws_client(server) as second:
            await first.handshake()
            await second.handshake()
            stopped_at = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            for client in (first, second):
                with pytest.raises(ConnectionClosed) as closed:
                    await client.until(lambda _message: False)
                codes.append(closed.value.rcvd.code if closed.value.rcvd else None)
        await asyncio.to_thread(server.process.wait, STOP_WITHIN_S * 2)
        assert time.monotonic() - stopped_at < STOP_WITHIN_S
        return codes

    with start_server() as server:
        assert run(scenario(server)) == [GOING_AWAY, GOING_AWAY]
        assert "Traceback" not in server.log()


def test_the_tickscope_script_runs_the_same_server() -> None:
    script = Path(sys.executable).parent / SCRIPT_PROG
    assert script.exists(), "pip install -e . installs the console script"
    help_text = subprocess.run(
        [script, "--help"], capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=True
    ).stdout
    assert help_text.startswith(f"usage: {SCRIPT_PROG} ")
    with tempfile.TemporaryFile("w+") as log:
        running = launch(["--seed", "7"], command=[str(script)], log=log)
        try:
            health = httpx.get(running.url + "/healthz", timeout=RUN_TIMEOUT_S)
            assert health.status_code == 200
        finally:
            running.stop()
        assert running.process.returncode == 130


def test_a_server_that_exits_before_it_listens_is_a_clear_error_with_its_output() -> None:
    with (
        tempfile.NamedTemporaryFile("w+", suffix=".log") as log,
        pytest.raises(LaunchError) as failed,
    ):
        launch(["--frequency-ms", "5"], log=log)
    message = str(failed.value)
    assert message.startswith("the server exited with 2 before it listened:")
    assert "--frequency-ms: must be from" in message


def test_a_server_that_prints_no_url_in_time_is_stopped_with_a_clear_error() -> None:
    with (
        tempfile.NamedTemporaryFile("w+", suffix=".log") as log,
        pytest.raises(LaunchError) as failed,
    ):
        launch([], log=log, timeout_s=0)
    assert str(failed.value).startswith("the server printed no URL within 0 s")
