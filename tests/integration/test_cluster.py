"""Several server processes on one market through a real redis-server (started per test on a
free port): same stream everywhere, failover without a seq reset, shared control, resume, and
a Redis restart under load."""

import asyncio
import itertools
import json
import signal
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from client.protocol import CONFIG, GAP, SNAPSHOT
from server.brokers.redis_stream import LOCK_TTL_S
from server.cluster import RedisProcess
from tests.conftest import TEST_SEED, RunningServer, start_server
from tests.integration.wsclient import Client, Message, run, ws_client

TAKEOVER_LIMIT_S = 3.0  # the promise; the lock's TTL is LOCK_TTL_S
FAST_MS = "10"


@pytest.fixture
def redis() -> Iterator[RedisProcess]:
    with RedisProcess() as running:
        yield running


def cluster(redis: RedisProcess, count: int, *args: str) -> tuple[ExitStack, list[RunningServer]]:
    stack = ExitStack()
    servers = [
        stack.enter_context(start_server("--broker", redis.url, "--seed", str(TEST_SEED), *args))
        for _ in range(count)
    ]
    return stack, servers


def role(server: RunningServer) -> str:
    answer: str = httpx.get(server.url + "/healthz").json()["role"]
    return answer


def leader_first(servers: list[RunningServer]) -> list[RunningServer]:
    deadline = time.monotonic() + TAKEOVER_LIMIT_S
    while time.monotonic() < deadline:
        leaders = [s for s in servers if role(s) == "leader"]
        if len(leaders) == 1:
            return leaders + [s for s in servers if s is not leaders[0]]
        time.sleep(0.05)
    raise AssertionError(f"no single leader: {[role(s) for s in servers]}")


def stream_seqs(messages: list[Message]) -> list[int]:
    return [m["seq"] for m in messages if "seq" in m and m["type"] != SNAPSHOT]


def assert_consecutive(seqs: list[int]) -> None:
    steps = {b - a for a, b in itertools.pairwise(seqs)}
    assert steps <= {1}, f"seq jumps {sorted(steps)} in {seqs[:5]}...{seqs[-5:]}"


def test_clients_of_two_processes_get_the_same_messages_and_snapshots(
    redis: RedisProcess,
) -> None:
    stack, (first, second) = cluster(redis, 2, "--frequency-ms", FAST_MS)

    async def scenario() -> tuple[list[Message], list[Message], Message]:
        async with ws_client(first) as early:
            snapshot, _ = await early.handshake()
            seen = [snapshot, *await early.take(200)]
            async with ws_client(second) as late:
                late_snapshot, _ = await late.handshake()
                other = await late.take(300)
                seen += await early.take(300)
        return seen, other, late_snapshot

    with stack:
        seen, other, late_snapshot = run(scenario())
    mine = {m["seq"]: m for m in seen[1:] if "seq" in m}
    theirs = {m["seq"]: m for m in other if "seq" in m}
    common = sorted(mine.keys() & theirs.keys())
    assert len(common) >= 200
    assert [mine[s] for s in common] == [theirs[s] for s in common]
    assert_consecutive(stream_seqs(seen[1:]))
    assert_consecutive(stream_seqs(other))
    # The second process's snapshot is the state the first process's client had at that seq.
    cut = late_snapshot["seq"]
    assert cut in mine
    last_price = {}
    for message in [m for m in seen[1:] if m.get("seq", 0) <= cut]:
        if message["type"] == "price":
            last_price[message["symbol"]] = message
    assert {s: last_price[s] for s in last_price} == {
        s: late_snapshot["last"][s] for s in last_price
    }


def test_when_the_leader_dies_another_process_takes_over_and_seq_continues(
    redis: RedisProcess,
) -> None:
    stack, servers = cluster(redis, 2, "--frequency-ms", "20")
    with stack:
        leader, survivor = leader_first(servers)

        async def scenario() -> tuple[list[Message], float]:
            async with ws_client(survivor) as client:
                await client.handshake()
                before = await client.take(100)
                killed_us = time.time_ns() // 1000
                leader.process.send_signal(signal.SIGKILL)
                resumed, between = await client.until(
                    lambda m: m.get("ts", 0) > killed_us, timeout=10.0
                )
                after = await client.take(100)
            return before + between + [resumed] + after, (resumed["ts"] - killed_us) / 1e6

        messages, takeover_s = run(scenario())
        assert role(survivor) == "leader"
    assert takeover_s < TAKEOVER_LIMIT_S, f"the stream stopped for {takeover_s:.2f} s"
    assert takeover_s > LOCK_TTL_S / 4, "the new leader waited for the lock to expire"
    assert_consecutive(stream_seqs(messages))
    assert not [m for m in messages if m["type"] in (GAP, SNAPSHOT)]


def test_a_period_change_sent_to_one_process_reaches_the_clients_of_another(
    redis: RedisProcess,
) -> None:
    stack, servers = cluster(redis, 2)
    with stack:
        leader, follower = leader_first(servers)

        async def scenario() -> tuple[Message, Message]:
            async with ws_client(leader) as watcher, ws_client(follower) as sender:
                await watcher.handshake()
                await sender.handshake()
                await sender.send({"frequency_ms": 200})
                told = await watcher.until(lambda m: m["type"] == CONFIG)
                echoed = await sender.until(lambda m: m["type"] == CONFIG)
                return told[0], echoed[0]

        told, echoed = run(scenario())
        assert told["frequency_ms"] == echoed["frequency_ms"] == 200
        assert httpx.get(follower.url + "/healthz").json()["frequency_ms"] == 200


def test_a_client_that_resumes_on_another_process_gets_exactly_what_it_missed(
    redis: RedisProcess,
) -> None:
    stack, servers = cluster(redis, 2, "--frequency-ms", FAST_MS)
    with stack:
        first, second = servers

        async def scenario() -> tuple[list[Message], list[Message], list[str]]:
            async with ws_client(first) as steady:
                await steady.handshake()
                async with ws_client(first) as leaving:
                    await leaving.handshake()
                    got = await leaving.take(100)
                last = stream_seqs(got)[-1]
                await asyncio.sleep(0.5)  # messages it misses while away
                async with ws_client(second, query=f"?resume_from={last}") as back:
                    config = await back.receive()
                    resumed = await back.take(200)
                reference = await steady.until(lambda m: m.get("seq") == stream_seqs(resumed)[-1])
            frames = [json.dumps(m, sort_keys=True) for m in [*reference[1], reference[0]]]
            return got, [config, *resumed], frames

        got, resumed, reference = run(scenario())
    assert resumed[0]["type"] == CONFIG, "a resumed client gets no snapshot"
    seqs = stream_seqs(resumed)
    assert seqs[0] == stream_seqs(got)[-1] + 1
    assert_consecutive(seqs)
    by_seq = {json.loads(f)["seq"]: f for f in reference if "seq" in json.loads(f)}
    assert [json.dumps(m, sort_keys=True) for m in resumed[1:] if "seq" in m] == [
        by_seq[s] for s in seqs
    ]


def test_a_redis_restart_under_load_ends_in_a_gap_notice_not_a_crash(
    redis: RedisProcess,
) -> None:
    stack, servers = cluster(redis, 2, "--frequency-ms", FAST_MS)
    with stack:

        async def watch(client: Client) -> tuple[Message, Message, list[Message]]:
            gap, _ = await client.until(lambda m: m["type"] == GAP, timeout=20.0)
            snapshot = await client.receive()
            return gap, snapshot, await client.take(100)

        async def scenario() -> list[tuple[Message, Message, list[Message]]]:
            async with ws_client(servers[0]) as one, ws_client(servers[1]) as two:
                await one.handshake()
                await two.handshake()
                await one.take(100)
                redis.kill()
                await asyncio.sleep(0.5)  # a real outage: both processes lose their reads
                redis.start()
                return list(await asyncio.gather(watch(one), watch(two)))

        for gap, snapshot, after in run(scenario()):
            assert gap["last"] >= gap["first"]
            assert snapshot["type"] == SNAPSHOT
            assert snapshot["seq"] >= gap["last"]
            assert stream_seqs(after)[0] > snapshot["seq"]
            assert_consecutive(stream_seqs(after))
        for server in servers:
            assert server.process.poll() is None
            assert httpx.get(server.url + "/healthz").json()["status"] == "ok"
        leader_first(servers)  # exactly one leads again


def test_a_replayed_market_fans_out_through_redis_like_the_simulator(
    redis: RedisProcess, tmp_path: Path
) -> None:
    with start_server("--frequency-ms", FAST_MS, "--record", str(tmp_path)):
        time.sleep(1.0)
    stack, (first, second) = cluster(redis, 2, "--source", f"replay://{tmp_path}?loop=1")

    async def scenario() -> tuple[list[Message], list[Message]]:
        async with ws_client(first) as one, ws_client(second) as two:
            await one.handshake()
            await two.handshake()
            return await one.take(300), await two.take(300)

    with stack:
        seen, other = run(scenario())
    mine = {m["seq"]: m for m in seen if "seq" in m}
    theirs = {m["seq"]: m for m in other if "seq" in m}
    common = sorted(mine.keys() & theirs.keys())
    assert len(common) >= 100
    assert [mine[s] for s in common] == [theirs[s] for s in common]
    assert_consecutive(stream_seqs(seen))
