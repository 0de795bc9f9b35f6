"""Start a real Tickscope server process and wait until it serves: the one way the tests, the
benchmark and the cluster launcher start one.

The child is `python -m server --port 0 ...` (or a port of the caller's); its URL is read from
the line it prints once its socket accepts connections, within a deadline. After that line its
output is copied on (to a log file or to our stdout) by a thread: left unread, the pipe filled
after some hundreds of requests and the server hung on its next write.
"""

import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from server.cli import LISTENING

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 5.0
POLL_INTERVAL_S = 0.1
SERVER_COMMAND = (sys.executable, "-m", "server")
HISTORY_OPTION = "--history"


class ServiceProcess(ABC):
    """A helper process of our own (redis-server, PostgreSQL) for a `with` block: started on
    entry, stopped on exit."""

    @abstractmethod
    def start(self) -> Self: ...

    @abstractmethod
    def stop(self) -> None: ...

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class LaunchError(RuntimeError):
    """The server exited or stayed silent before it printed its URL; says what it printed."""


def free_port() -> int:
    """A port free right now on 127.0.0.1 (for children that cannot take port 0 themselves)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class RunningServer:
    process: subprocess.Popen[str]
    url: str  # http://127.0.0.1:PORT
    log_path: Path | None = None  # where its output goes, if to a file
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
        if self.log_path is None:
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, how: signal.Signals = signal.SIGINT) -> None:
        """Ask it to stop (`how`), then kill it if it takes longer than STOP_TIMEOUT_S."""
        stop_process(self.process, how)


def launch(
    args: Sequence[str],
    *,
    port: int = 0,
    command: Sequence[str] = SERVER_COMMAND,
    log: IO[str] | None = None,
    new_session: bool = False,
    timeout_s: float = START_TIMEOUT_S,
) -> RunningServer:
    """Start `python -m server --port PORT *args` and return once it serves (port 0: the
    server takes a free one and says which).

    `command` is how the server is run: `python -m server`, or the `tickscope` script.
    Its output goes to `log` (stderr at once, stdout after the URL line), or to ours if None.
    `new_session` keeps a terminal's Ctrl-C from reaching it: its launcher stops it.
    """
    process = subprocess.Popen(
        [*command, "--port", str(port), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=new_session,
    )
    log_path = Path(log.name) if log is not None and isinstance(log.name, str) else None
    try:
        url = _read_url(process, timeout_s, log_path)
    except BaseException:
        stop_process(process, signal.SIGKILL)
        raise
    threading.Thread(target=_copy_output, args=(process, log_path), daemon=True).start()
    return RunningServer(process, url, log_path, tuple(args))


@contextmanager
def start_server(*args: str, port: int = 0) -> Iterator[RunningServer]:
    """A server for the length of a `with` block, its output in a log file of its own and,
    unless `--history` is among `args`, its history in a store of its own that goes with it."""
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept open for the server's lifetime
        "w", prefix="tickscope-server-", suffix=".log", delete=False, encoding="utf-8"
    )
    store = tempfile.TemporaryDirectory(prefix="tickscope-history-")
    if HISTORY_OPTION not in args:
        args = (*args, HISTORY_OPTION, f"sqlite:///{store.name}/history.sqlite3")
    try:
        running = launch(args, port=port, log=log)
        try:
            yield running
        finally:
            running.stop()
    finally:
        log.close()
        store.cleanup()


def stop_process(process: subprocess.Popen[str], how: signal.Signals = signal.SIGINT) -> None:
    if process.poll() is None:
        process.send_signal(how)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout:
        process.stdout.close()


def _read_url(process: subprocess.Popen[str], timeout_s: float, log_path: Path | None) -> str:
    stdout = process.stdout
    assert stdout is not None
    printed: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([stdout], [], [], POLL_INTERVAL_S)
        if ready:
            line = stdout.readline()
            if line.startswith(LISTENING):
                return line.removeprefix(LISTENING).strip()
            if line:
                printed.append(line)
                continue
        if process.poll() is not None:
            raise LaunchError(
                f"the server exited with {process.returncode} before it listened"
                + _output(printed, log_path)
            )
    raise LaunchError(
        f"the server printed no URL within {timeout_s:g} s" + _output(printed, log_path)
    )


def _output(printed: list[str], log_path: Path | None) -> str:
    text = "".join(printed)
    if log_path is not None:
        text += log_path.read_text(encoding="utf-8", errors="replace")
    return ":\n" + text if text.strip() else " (and printed nothing)"


def _copy_output(process: subprocess.Popen[str], log_path: Path | None) -> None:
    stdout = process.stdout
    assert stdout is not None
    # Appending through a file of our own: the child writes its stderr to the same file.
    with (
        open(log_path, "a", encoding="utf-8") if log_path is not None else nullcontext(sys.stdout)
    ) as target:
        try:
            for line in stdout:
                target.write(line)
                target.flush()
        except (ValueError, OSError):  # the pipe was closed as the server stopped
            return
