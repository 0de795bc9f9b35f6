"""Batched frames over a real socket: every message once, in seq order, in any mode."""

import asyncio
import json
from typing import Any

from websockets.asyncio.client import connect

from client.protocol import AUTO, BATCH, OUT_OF_RANGE, UNKNOWN_FIELD, WRONG_TYPE
from server.batching import AUTO_REVIEW_S
from tests.conftest import RunningServer, start_server
from tests.integration.wsclient import Client, Message, run, ws_client

# 24 symbols every 10 ms: 4200 msgs/s, a load auto batches.
HEAVY = ("--symbols", "24", "--frequency-ms", "10", "--seed", "3")
# One symbol once a second: an idle stream.
IDLE = ("--symbols", "1", "--frequency-ms", "1000", "--seed", "3")
SETTLE_S = AUTO_REVIEW_S * 4


class Frames:
    """What arrived, frame by frame: each frame's messages (one for an unbatched frame)."""

    def __init__(self) -> None:
        self.frames: list[list[Message]] = []

    @property
    def messages(self) -> list[Message]:
        return [message for frame in self.frames for message in frame]

    @property
    def stream(self) -> list[Message]:
        return [message for message in self.messages if "seq" in message]

    def replies(self, kind: str) -> list[Message]:
        return [message for message in self.messages if message["type"] == kind]

    @property
    def batched(self) -> list[list[Message]]:
        return [frame for frame in self.frames if len(frame) > 1]


async def read_frames(client: Client, seconds: float, into: Frames) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while (left := end - loop.time()) > 0:
        try:
            text = await asyncio.wait_for(client.connection.recv(), left)
        except TimeoutError:
            return
        data: Any = json.loads(text)
        into.frames.append(data if isinstance(data, list) else [data])


def assert_every_message_once_in_order(first_seq: int, frames: Frames) -> None:
    seqs = [message["seq"] for message in frames.stream]
    assert seqs, "nothing arrived"
    assert seqs == list(range(first_seq, first_seq + len(seqs))), "a message was lost or repeated"


def test_batch_frames_carry_every_message_once_in_seq_order() -> None:
    async def scenario(server: RunningServer) -> tuple[int, Frames]:
        async with ws_client(server) as client:
            snapshot, _ = await client.handshake()
            await client.send({"batch_ms": 20})
            frames = Frames()
            await read_frames(client, 1.5, frames)
            return snapshot["seq"] + 1, frames

    with start_server(*HEAVY) as server:
        first, frames = run(scenario(server))
    assert_every_message_once_in_order(first, frames)
    (ack,) = frames.replies(BATCH)
    assert ack == {"type": BATCH, "batch_ms": 20, "interval_ms": 20}
    # 20 ms of a 4200 msgs/s stream is about 84 messages a frame.
    assert len(frames.batched) >= 20
    assert sum(len(frame) for frame in frames.batched) > len(frames.stream) * 0.9


def test_two_clients_with_one_setting_get_the_same_batches() -> None:
    async def scenario(server: RunningServer) -> tuple[Frames, Frames]:
        async with ws_client(server) as one, ws_client(server) as two:
            await one.handshake()
            await two.handshake()
            await one.send({"batch_ms": 50})
            await two.send({"batch_ms": 50})
            first, second = Frames(), Frames()
            await asyncio.gather(read_frames(one, 1.0, first), read_frames(two, 1.0, second))
            return first, second

    with start_server(*HEAVY) as server:
        first, second = run(scenario(server))
    # After both joined, batches are built once for the group: the same frames, seq for seq.
    common = {tuple(m["seq"] for m in frame) for frame in first.batched[2:-2]}
    assert common
    assert common <= {tuple(m["seq"] for m in frame) for frame in second.batched}


def test_switching_modes_mid_stream_loses_nothing() -> None:
    modes: list[object] = [20, AUTO, 5, 0, 100, AUTO, 0]

    async def scenario(server: RunningServer) -> tuple[int, Frames]:
        async with ws_client(server) as client:
            snapshot, _ = await client.handshake()
            frames = Frames()
            for mode in modes:
                await client.send({"batch_ms": mode})
                await read_frames(client, 0.35, frames)
            await read_frames(client, 0.3, frames)
            return snapshot["seq"] + 1, frames

    with start_server(*HEAVY) as server:
        first, frames = run(scenario(server))
    assert_every_message_once_in_order(first, frames)
    acks = [reply["batch_ms"] for reply in frames.replies(BATCH)]
    assert [mode for mode in acks if mode != AUTO] == [20, 5, 0, 100, 0]
    assert frames.batched, "no mode batched"


def test_auto_batches_under_load() -> None:
    async def scenario(server: RunningServer) -> tuple[int, Frames]:
        async with ws_client(server) as client:
            snapshot, _ = await client.handshake()
            await client.send({"batch_ms": AUTO})
            frames = Frames()
            await read_frames(client, SETTLE_S + 1.0, frames)
            return snapshot["seq"] + 1, frames

    with start_server(*HEAVY) as server:
        first, frames = run(scenario(server))
    assert_every_message_once_in_order(first, frames)
    intervals = [reply["interval_ms"] for reply in frames.replies(BATCH)]
    assert intervals[-1] > 0, intervals
    assert all(reply["batch_ms"] == AUTO for reply in frames.replies(BATCH))
    assert len(frames.batched) > 10


def test_auto_does_not_batch_an_idle_stream() -> None:
    async def scenario(server: RunningServer) -> Frames:
        async with ws_client(server) as client:
            await client.handshake()
            await client.send({"batch_ms": AUTO})
            frames = Frames()
            await read_frames(client, SETTLE_S + 2.5, frames)
            return frames

    with start_server(*IDLE) as server:
        frames = run(scenario(server))
    assert [reply["interval_ms"] for reply in frames.replies(BATCH)] == [0]
    assert len(frames.stream) >= 2
    assert not frames.batched


def test_auto_steps_up_for_a_client_that_reports_a_backlog() -> None:
    async def scenario(server: RunningServer) -> list[int]:
        async with ws_client(server) as client:
            await client.handshake()
            await client.send({"batch_ms": AUTO})
            frames = Frames()
            await read_frames(client, SETTLE_S, frames)
            await client.send({"backlog_ms": 500})
            await read_frames(client, SETTLE_S, frames)
            return [reply["interval_ms"] for reply in frames.replies(BATCH)]

    # 8 symbols every 20 ms: 700 msgs/s, where auto alone picks a short interval.
    with start_server("--frequency-ms", "20", "--seed", "3") as server:
        intervals = run(scenario(server))
    assert intervals[-1] > max(intervals[:-1]), intervals


def test_bad_batch_controls_get_errors(server: RunningServer) -> None:
    bad = [
        ('{"batch_ms": -1}', OUT_OF_RANGE),
        ('{"batch_ms": 1001}', OUT_OF_RANGE),
        ('{"batch_ms": "fast"}', WRONG_TYPE),
        ('{"batch_ms": 2.5}', WRONG_TYPE),
        ('{"batch_ms": null}', WRONG_TYPE),
        ('{"backlog_ms": -5}', OUT_OF_RANGE),
        ('{"backlog_ms": "3"}', WRONG_TYPE),
        ('{"batch": 10}', UNKNOWN_FIELD),
    ]

    async def scenario() -> list[Message]:
        async with ws_client(server) as client:
            await client.handshake()
            errors = []
            for payload, _ in bad:
                await client.send(payload)
                error, _ = await client.until(lambda m: m["type"] == "error")
                errors.append(error)
            return errors

    for (payload, code), error in zip(bad, run(scenario()), strict=True):
        assert error["code"] == code, payload
        assert len(error["message"]) < 200
        if code != UNKNOWN_FIELD:
            assert payload.split('"')[1] in error["message"]


def test_permessage_deflate_is_negotiated_only_when_the_server_offers_it() -> None:
    async def negotiated(server: RunningServer) -> list[str]:
        async with connect(server.ws_url, origin=server.origin, compression="deflate") as ws:  # type: ignore[arg-type]
            await ws.recv()
            return [extension.name for extension in ws.protocol.extensions]

    with start_server("--seed", "3") as server:
        assert run(negotiated(server)) == []
    with start_server("--seed", "3", "--ws-deflate") as server:
        assert run(negotiated(server)) == ["permessage-deflate"]
