"""`python -m server` as a person runs it: help, bad values, a busy port, a clean stop."""

import signal
import socket
import subprocess
import sys

from tests.conftest import ROOT, start_server

RUN_TIMEOUT_S = 30


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
