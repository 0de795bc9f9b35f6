"""Recordings: every published message as the hub encoded it, with its arrival time, in gzip
files that rotate by size. `--record DIR` writes them; `replay://DIR` plays them back.

A file is one header line (JSON: the format, the session, the config then in force), then one
line per message: its arrival time in µs on the wire's clock, a space, the frame. Writing
happens on a thread of its own, so the stream never waits on compression or on the disk; the
file is flushed every second, so a killed server leaves a recording readable up to then.
"""

import gzip
import logging
import queue
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from client.protocol import CONFIG, Message
from server.sources import now_us

FORMAT = "tickscope-recording"
VERSION = 1
SUFFIX = ".rec.gz"
FLUSH_INTERVAL_S = 1.0
COMPRESS_LEVEL = 6  # zlib's default: a third of level 9's time for nearly its size here
STOP = None
log = logging.getLogger("tickscope.recording")


class RecordingError(Exception):
    """A recording that cannot be read at all (missing, empty, not ours)."""


@dataclass(frozen=True)
class Damage:
    """Where a recording stopped being readable, and why."""

    path: Path
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path} is damaged at line {self.line} ({self.reason})"


@dataclass(frozen=True)
class Header:
    session: str
    segment: int
    config: Message

    @property
    def symbols(self) -> list[str]:
        symbols: list[str] = self.config["symbols"]
        return symbols


class RecordingWriter:
    """The hub's sink for --record: `write` only queues; a thread compresses and writes."""

    def __init__(
        self,
        directory: Path,
        segment_bytes: int,
        config: Message,
        flush_interval_s: float = FLUSH_INTERVAL_S,
    ) -> None:
        self.directory = directory
        self.segment_bytes = segment_bytes
        self.flush_interval_s = flush_interval_s
        self.config = config
        self.session = f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{uuid.uuid4().hex[:6]}"
        self.segment = 0
        self.written = 0
        self.failed: str | None = None  # why recording stopped, if it did
        self._queue: queue.SimpleQueue[tuple[int, str] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._write_all, name="recording", daemon=True)

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        log.info("recording to %s (session %s)", self.directory, self.session)

    def write(self, message: Message, frame: str) -> None:
        if message["type"] == CONFIG:
            self.config = message
        self._queue.put((now_us(), frame))

    def stop(self) -> None:
        self._queue.put(STOP)
        self._thread.join()

    def _open(self) -> tuple[gzip.GzipFile, Any]:
        self.segment += 1
        path = self.directory / f"{self.session}-{self.segment:06d}{SUFFIX}"
        raw = path.open("wb")
        out = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=COMPRESS_LEVEL)
        header = {
            "format": FORMAT,
            "version": VERSION,
            "session": self.session,
            "segment": self.segment,
            "config": self.config,
        }
        out.write(orjson.dumps(header) + b"\n")
        return out, raw

    def _write_all(self) -> None:
        try:
            self._write_until_stopped()
        except OSError as failed:  # a full disk: the stream goes on, the recording stops
            self.failed = str(failed)
            log.error("recording stopped: %s", failed)

    def _write_until_stopped(self) -> None:
        out, raw = self._open()
        flushed = time.monotonic()
        try:
            while True:
                item = self._queue.get()
                if item is STOP:
                    return
                arrival, frame = item
                out.write(b"%d %s\n" % (arrival, frame.encode()))
                self.written += 1
                if time.monotonic() - flushed >= self.flush_interval_s:
                    out.flush()
                    flushed = time.monotonic()
                    if raw.tell() >= self.segment_bytes:
                        out.close()
                        raw.close()
                        out, raw = self._open()
        finally:
            out.close()
            raw.close()


@dataclass
class Recording:
    """The files of a recording (a directory of them, or one file), oldest first."""

    path: Path
    files: list[Path] = field(init=False)
    header: Header = field(init=False)
    damage: Damage | None = None

    def __post_init__(self) -> None:
        if self.path.is_dir():
            self.files = sorted(self.path.glob(f"*{SUFFIX}"))
        elif self.path.is_file():
            self.files = [self.path]
        else:
            raise RecordingError(f"no recording at {self.path}")
        if not self.files:
            raise RecordingError(f"{self.path} holds no recording (*{SUFFIX} files)")
        self.header = read_header(self.files[0])

    def records(self) -> Iterator[tuple[Header, int, Message]]:
        """(header of its file, arrival µs, message) for every message up to any damage, which
        is then kept in `damage`."""
        self.damage = None
        for path in self.files:
            try:
                yield from _records_of(path)
            except _DamagedError as damaged:
                self.damage = damaged.damage
                return


class _DamagedError(Exception):
    def __init__(self, damage: Damage) -> None:
        super().__init__(str(damage))
        self.damage = damage


def read_header(path: Path) -> Header:
    try:
        with gzip.open(path, "rb") as recorded:
            return _header(path, recorded.readline())
    except (OSError, EOFError, zlib.error) as bad:
        raise RecordingError(f"{path} is not a readable recording: {bad}") from bad


def _header(path: Path, line: bytes) -> Header:
    try:
        header = orjson.loads(line)
    except orjson.JSONDecodeError as bad:
        raise RecordingError(f"{path} is not a readable recording: {bad}") from bad
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise RecordingError(f"{path} is not a Tickscope recording")
    if header.get("version") != VERSION:
        raise RecordingError(
            f"{path} is a version {header.get('version')} recording; this Tickscope reads "
            f"version {VERSION}"
        )
    return Header(str(header["session"]), int(header["segment"]), header["config"])


def _records_of(path: Path) -> Iterator[tuple[Header, int, Message]]:
    number = 1
    try:
        with gzip.open(path, "rb") as recorded:
            header = _header(path, recorded.readline())
            for number, line in enumerate(recorded, start=2):
                if not line.endswith(b"\n"):
                    raise _DamagedError(Damage(path, number, "the last line is cut short"))
                arrival, _, frame = line.partition(b" ")
                yield header, int(arrival), orjson.loads(frame)
    except (OSError, EOFError, zlib.error) as bad:
        raise _DamagedError(Damage(path, number + 1, f"unreadable: {bad}")) from bad
    except (ValueError, orjson.JSONDecodeError) as bad:
        raise _DamagedError(Damage(path, number, f"not a record: {bad}")) from bad
