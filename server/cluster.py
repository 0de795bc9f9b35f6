"""`python -m server.cluster` (make run-cluster): a private Redis, a PostgreSQL for the shared
history and N server processes on one market, their URLs printed; Ctrl-C stops all of them.

Redis is Debian's redis-server on a free port, without persistence, its files in a temporary
directory that goes away with it. The same launcher starts Redis for the tests and benchmarks.
"""

import argparse
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from server.launch import RunningServer, ServiceProcess, free_port, launch, stop_process
from server.postgres import PostgresProcess

REDIS_SERVER = "redis-server"
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 5.0
PING_INTERVAL_S = 0.05
WATCH_INTERVAL_S = 0.5
DEFAULT_PROCESSES = 2
MAX_PROCESSES = 16
DEFAULT_HISTORY_DIR = Path("data/postgres")


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisProcess(ServiceProcess):
    """A redis-server of our own: `start()`, `url`, `kill()` and `start()` again (same port,
    empty, as after a crash without persistence), `stop()`."""

    def __init__(self, port: int = 0) -> None:
        if shutil.which(REDIS_SERVER) is None:
            raise RuntimeError(
                f"{REDIS_SERVER} is not installed: `make run-cluster` and `make test` install "
                "Debian's redis-server package"
            )
        self.port = port or free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="tickscope-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> Self:
        command = [
            REDIS_SERVER,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.directory),
            "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        # Own session: Ctrl-C reaches the launcher only, which stops the servers before Redis.
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answers(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.directory / "redis.log").read_text(errors="replace")
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}:\n{log}")
            time.sleep(PING_INTERVAL_S)
        return self

    def kill(self) -> None:
        """Die at once, as in a crash: clients see their connections reset."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


def _stop_all(servers: list[RunningServer]) -> None:
    for running in servers:
        if running.process.poll() is None:
            running.process.send_signal(signal.SIGTERM)
    for running in servers:
        stop_process(running.process, signal.SIGTERM)


def process_count(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_PROCESSES:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_PROCESSES}, got {value}")
    return value


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # so the servers and Redis are stopped, not orphaned


def main(argv: list[str] | None = None) -> None:
    cli = argparse.ArgumentParser(
        prog="python -m server.cluster",
        description="Redis plus N Tickscope processes on one market; "
        "options after -- go to every server process (e.g. -- --seed 7 --symbols 16).",
    )
    cli.add_argument(
        "--processes", type=process_count, default=DEFAULT_PROCESSES, help="(default 2)"
    )
    cli.add_argument("--redis-port", type=int, default=0, help="(default: a free port)")
    cli.add_argument(
        "--history-dir",
        type=Path,
        default=DEFAULT_HISTORY_DIR,
        help="PostgreSQL's data, kept across runs for the shared history (default %(default)s); "
        "every process writes there unless given its own --history after --",
    )
    args, extra = cli.parse_known_args(argv)
    extra = [arg for arg in extra if arg != "--"]
    # The children run in their own sessions; a TERM or HUP to the launcher must stop them too.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    try:
        with RedisProcess(args.redis_port) as redis:
            print(f"Redis: {redis.url} (data in {redis.directory})", flush=True)
            with _history(args.history_dir, extra) as history:
                _serve(redis.url, args.processes, history + extra)
    except KeyboardInterrupt:
        pass
    except RuntimeError as failed:
        sys.exit(f"tickscope: error: {failed}")


@contextmanager
def _history(directory: Path, extra: list[str]) -> Iterator[list[str]]:
    """The shared store's --history, from a PostgreSQL of our own, unless one was given."""
    if "--history" in extra:
        yield []
        return
    with PostgresProcess(directory.resolve()) as postgres:
        print(f"PostgreSQL: {postgres.url} (data in {directory})", flush=True)
        yield ["--history", postgres.url]


def _serve(broker: str, count: int, extra: list[str]) -> None:
    """Start the servers and watch them; they stop before Redis does."""
    servers: list[RunningServer] = []
    try:
        for index in range(count):
            # Own sessions: Ctrl-C reaches the launcher only, which stops them before Redis.
            running = launch(["--broker", broker, *extra], new_session=True)
            servers.append(running)
            print(f"server {index + 1}: {running.url}", flush=True)
        print("Ctrl-C stops all of them.", flush=True)
        while all(running.process.poll() is None for running in servers):
            time.sleep(WATCH_INTERVAL_S)
        ended = next(s.process for s in servers if s.process.poll() is not None)
        raise RuntimeError(f"server pid {ended.pid} exited with {ended.returncode}")
    finally:
        _stop_all(servers)


if __name__ == "__main__":
    main()
