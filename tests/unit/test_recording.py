"""Recordings: written off the loop, rotated by size, read back in order, and read up to the
damage when a file is cut short or corrupt."""

import asyncio
import gzip
from pathlib import Path

import orjson
import pytest

from client.protocol import Message, config
from server.hub import encode
from server.recording import SUFFIX, Recording, RecordingError, RecordingWriter
from server.settings import Settings
from server.simulator import Market
from server.sources import SourceError, source_for
from server.sources.replay import ReplaySource

SYMBOLS = ["BTC/USD", "ETH/USD"]


def stream(ticks: int) -> list[Message]:
    market = Market(SYMBOLS, seed=3)
    messages = [config(20, SYMBOLS, "m1")]
    for tick in range(ticks):
        messages += market.step(1_000_000 + tick * 20_000)
        if tick % 10 == 0:
            messages.append(
                {"type": "system", "cpu_pct": 1.0, "mem_mb": 50, "msg_rate": 9, "ts": tick}
            )
    for seq, message in enumerate(messages, start=1):
        message["seq"] = seq
    return messages


def record(directory: Path, messages: list[Message], segment_bytes: int = 1 << 30) -> None:
    writer = RecordingWriter(directory, segment_bytes, messages[0], flush_interval_s=0)
    writer.start()
    for message in messages:
        writer.write(message, encode(message))
    writer.stop()
    assert writer.written == len(messages)
    assert writer.failed is None


def test_a_recording_reads_back_every_message_in_order(tmp_path: Path) -> None:
    messages = stream(50)
    record(tmp_path, messages)
    recording = Recording(tmp_path)
    read = list(recording.records())
    assert [message for _, _, message in read] == messages
    arrivals = [arrival for _, arrival, _ in read]
    assert arrivals == sorted(arrivals)
    assert recording.header.symbols == SYMBOLS
    assert recording.damage is None


def test_files_rotate_by_size_and_read_as_one_stream(tmp_path: Path) -> None:
    messages = stream(200)
    record(tmp_path, messages, segment_bytes=2048)
    files = sorted(tmp_path.glob(f"*{SUFFIX}"))
    assert len(files) > 3
    assert all(path.stat().st_size < 2048 * 4 for path in files)
    segments = [Recording(path).header.segment for path in files]
    assert segments == list(range(1, len(files) + 1))
    assert [message for _, _, message in Recording(tmp_path).records()] == messages


def test_a_truncated_recording_reads_up_to_the_damage_and_says_where(tmp_path: Path) -> None:
    messages = stream(300)
    record(tmp_path, messages)
    (path,) = tmp_path.glob(f"*{SUFFIX}")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    recording = Recording(tmp_path)
    read = [message for _, _, message in recording.records()]
    assert 0 < len(read) < len(messages)
    assert read == messages[: len(read)]
    assert recording.damage is not None
    assert recording.damage.path == path
    assert recording.damage.line > len(read)
    assert str(path) in str(recording.damage)


def test_corrupt_bytes_stop_the_reading_there(tmp_path: Path) -> None:
    messages = stream(300)
    record(tmp_path, messages)
    (path,) = tmp_path.glob(f"*{SUFFIX}")
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    path.write_bytes(bytes(data))
    recording = Recording(tmp_path)
    read = [message for _, _, message in recording.records()]
    assert read == messages[: len(read)]
    assert len(read) < len(messages)
    assert recording.damage is not None


def test_a_line_that_is_not_a_record_is_damage(tmp_path: Path) -> None:
    messages = stream(5)
    record(tmp_path, messages)
    (path,) = tmp_path.glob(f"*{SUFFIX}")
    lines = gzip.decompress(path.read_bytes()).splitlines(keepends=True)
    lines.insert(4, b"not a record\n")
    path.write_bytes(gzip.compress(b"".join(lines)))
    recording = Recording(tmp_path)
    read = [message for _, _, message in recording.records()]
    assert read == messages[:3]  # the header, three records, then the bad line (line 5)
    assert recording.damage is not None
    assert recording.damage.line == 5


@pytest.mark.parametrize(
    ("contents", "error"),
    [
        (None, "holds no recording"),
        (b"plain text, not gzip\n", "not a readable recording"),
        (gzip.compress(b'{"format": "something else"}\n'), "not a Tickscope recording"),
        (
            gzip.compress(orjson.dumps({"format": "tickscope-recording", "version": 99}) + b"\n"),
            "version 99",
        ),
    ],
)
def test_what_is_not_a_recording_is_refused_clearly(
    tmp_path: Path, contents: bytes | None, error: str
) -> None:
    if contents is not None:
        (tmp_path / f"x{SUFFIX}").write_bytes(contents)
    with pytest.raises(RecordingError, match=error):
        Recording(tmp_path)


def replay(url: str) -> ReplaySource:
    source = source_for(url, Settings())
    assert isinstance(source, ReplaySource)
    return source


def test_replay_plays_the_stream_messages_restamped_and_unnumbered(tmp_path: Path) -> None:
    messages = stream(100)
    record(tmp_path, messages)
    source = replay(f"replay://{tmp_path}?speed=max")
    assert source.symbols == SYMBOLS
    assert source.frequency_ms == 20
    emitted: list[Message] = []

    async def collect(batch: list[Message]) -> None:
        emitted.extend(batch)

    asyncio.run(source.run(collect))
    expected = [m for m in messages if m["type"] in ("price", "trade", "book")]
    assert len(emitted) == len(expected) == source.replayed

    def unstamped(message: Message) -> Message:
        return {k: v for k, v in message.items() if k not in ("seq", "ts")}

    assert [unstamped(m) for m in emitted] == [unstamped(m) for m in expected]
    assert all("seq" not in m for m in emitted)
    assert all(m["ts"] > 1_000_000_000_000_000 for m in emitted)  # now, not the recorded ts


def test_replay_of_a_damaged_recording_logs_where_it_stopped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    record(tmp_path, stream(300))
    (path,) = tmp_path.glob(f"*{SUFFIX}")
    path.write_bytes(path.read_bytes()[:-200])
    source = replay(f"replay://{tmp_path}?speed=max")

    async def ignore(batch: list[Message]) -> None:
        pass

    asyncio.run(source.run(ignore))
    assert source.replayed > 0
    assert any("damaged at line" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("speed=0", "speed must be a positive number or max"),
        ("speed=fast", "speed must be"),
        ("loop=2", "loop must be 0 or 1"),
        ("pace=1", "has no option pace"),
    ],
)
def test_replay_options_are_checked(tmp_path: Path, query: str, error: str) -> None:
    record(tmp_path, stream(2))
    with pytest.raises(ValueError, match=error):
        replay(f"replay://{tmp_path}?{query}")


def test_a_missing_recording_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no recording at"):
        replay(f"replay://{tmp_path}/nothing")
    with pytest.raises(ValueError, match="needs a path"):
        replay("replay://")
