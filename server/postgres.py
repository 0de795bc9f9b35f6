"""A PostgreSQL server of our own (Debian's), for `make run-cluster` and the tests: a data
directory made with initdb, the server on a free port of 127.0.0.1 (trust authentication, so
only this machine's users can reach it), one database, stopped with the launcher.

PostgreSQL refuses to run as root; as root it runs as Debian's `postgres` user, which owns the
data directory.
"""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Self

from server.launch import ServiceProcess, free_port

BINARIES = Path("/usr/lib/postgresql")
DATABASE = "tickscope"
SYSTEM_USER = "postgres"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
POLL_INTERVAL_S = 0.1


def binary(name: str) -> Path:
    versions = sorted(BINARIES.glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
    for directory in versions:
        if (directory / name).exists():
            return directory / name
    raise RuntimeError(
        f"PostgreSQL's {name} is not installed: `make run-cluster` and `make test` install "
        "Debian's postgresql package"
    )


class PostgresProcess(ServiceProcess):
    """`start()`, `url`, `stop()`. A `directory` keeps the data across runs; without one it is
    a temporary directory that goes away with the server."""

    def __init__(self, directory: Path | None = None, port: int = 0) -> None:
        self.port = port or free_port()
        self.keep = directory is not None
        self.directory = directory or Path(tempfile.mkdtemp(prefix="tickscope-postgres-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql://{SYSTEM_USER}@127.0.0.1:{self.port}/{DATABASE}"

    def _as_owner(self, command: list[str]) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", SYSTEM_USER, "--", *command]
        return command

    def _initdb(self) -> None:
        data = self.directory / "data"
        if (data / "PG_VERSION").exists():
            return
        data.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.directory, SYSTEM_USER)
            shutil.chown(data, SYSTEM_USER)
        command = [str(binary("initdb")), "-D", str(data), "-U", SYSTEM_USER, "--auth=trust",
                   "--encoding=UTF8", "--no-instructions"]  # fmt: skip
        made = subprocess.run(self._as_owner(command), check=False, capture_output=True, text=True)
        if made.returncode != 0:
            raise RuntimeError(
                f"initdb could not make {data} (as root, every folder above it must be open "
                f"to the {SYSTEM_USER} user): {made.stderr.strip()[-300:]}"
            )

    def start(self) -> Self:
        self._initdb()
        log = self.directory / "postgres.log"
        command = [
            str(binary("postgres")),
            "-D", str(self.directory / "data"),
            "-p", str(self.port),
            "-k", str(self.directory),  # its socket here, not in /var/run/postgresql
            "-c", "listen_addresses=127.0.0.1",
        ]  # fmt: skip
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                self._as_owner(command),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                start_new_session=True,
            )
        self._wait_ready(log)
        return self

    def _wait_ready(self, log: Path) -> None:
        import psycopg  # noqa: PLC0415 (the postgres extra: only when a server is started)

        deadline = time.monotonic() + START_TIMEOUT_S
        admin = f"postgresql://{SYSTEM_USER}@127.0.0.1:{self.port}/postgres"
        while True:
            try:
                with psycopg.connect(admin, autocommit=True, connect_timeout=2) as connection:
                    exists = connection.execute(
                        "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)
                    ).fetchone()
                    if not exists:
                        connection.execute(f"CREATE DATABASE {DATABASE}")
                    return
            except psycopg.OperationalError:
                assert self.process is not None
                if self.process.poll() is not None or time.monotonic() > deadline:
                    printed = log.read_text(errors="replace")[-2000:]
                    self.stop()
                    raise RuntimeError(
                        f"postgres did not start on port {self.port}:\n{printed}"
                    ) from None
                time.sleep(POLL_INTERVAL_S)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # "smart" shutdown: clients finish, data is flushed
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self.keep:
            shutil.rmtree(self.directory, ignore_errors=True)
