"""Batching groups and auto's choice of interval, with the hub's real subscribers."""

import asyncio
import json
from typing import Any

from client import protocol
from server.batching import AUTO_LEVELS_MS, AUTO_RATE_STEPS, Batching
from server.hub import Hub, Subscriber
from server.snapshot import Recorder
from tests.unit.test_hub import CONFIG, price, system


def stream_seqs(subscriber: Subscriber) -> list[int]:
    seqs = []
    for frame in asyncio.run(subscriber.drain()):
        data: Any = json.loads(frame)
        for message in data if isinstance(data, list) else [data]:
            if message["type"] in protocol.STREAM_TYPES:
                seqs.append(message["seq"])
    return seqs


def test_a_batch_is_built_once_and_shared_by_its_group() -> None:
    async def scenario() -> tuple[list[str], list[str]]:
        hub = Hub(Recorder(CONFIG))
        one, two = hub.subscribe(), hub.subscribe()
        hub.batching.set(one, 1000)
        hub.batching.set(two, 1000)
        for n in range(5):
            hub.publish(price(n))
        hub.batching.groups[1000].flush()
        return one.frames, two.frames

    (first,), (second,) = asyncio.run(scenario())
    assert first is second, "one string for the whole group"
    assert [m["seq"] for m in json.loads(first)] == [1, 2, 3, 4, 5]


def test_a_shed_batch_counts_every_message_in_it_as_dropped() -> None:
    subscriber = Subscriber(limit=2)
    for n in range(3):
        subscriber.offer(f"[{n},{n},{n}]", None, 3)
    assert subscriber.dropped == 3
    assert subscriber.frames == ["[1,1,1]", "[2,2,2]"]


def test_leaving_a_group_delivers_what_it_collected_so_far() -> None:
    async def scenario() -> Subscriber:
        hub = Hub(Recorder(CONFIG))
        subscriber = hub.subscribe()
        hub.batching.set(subscriber, 1000)
        for n in range(3):
            hub.publish(system(n))
        hub.batching.set(subscriber, 0)
        hub.publish(system(3))
        return subscriber

    assert stream_seqs(asyncio.run(scenario())) == [1, 2, 3, 4]


def test_joining_a_group_mid_interval_repeats_nothing() -> None:
    async def scenario() -> Subscriber:
        hub = Hub(Recorder(CONFIG))
        early, late = hub.subscribe(), hub.subscribe()
        hub.batching.set(early, 1000)
        hub.publish(system(0))
        hub.batching.set(late, 1000)
        hub.publish(system(1))
        hub.batching.groups[1000].flush()
        return late

    assert stream_seqs(asyncio.run(scenario())) == [1, 2]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_auto_follows_the_rate_and_the_backlog() -> None:
    async def scenario() -> list[int]:
        clock = Clock()
        batching = Batching(clock)
        subscriber = Subscriber()
        seen = [batching.set(subscriber, protocol.AUTO)[protocol.INTERVAL_MS]]
        for rate in (10.0, AUTO_RATE_STEPS[0] * 2, AUTO_RATE_STEPS[-1] * 2):
            clock.now += 1.0
            for _ in range(int(rate)):
                batching.collect("{}")
            batching.review()
            seen.append(subscriber.batch_interval_ms)
        clock.now += 1.0
        batching.review()  # idle again
        seen.append(subscriber.batch_interval_ms)
        batching.report_backlog(subscriber, 1000)
        batching.review()
        seen.append(subscriber.batch_interval_ms)
        batching.remove(subscriber)
        return seen

    assert asyncio.run(scenario()) == [0, 0, AUTO_LEVELS_MS[1], AUTO_LEVELS_MS[-1], 0, 0]
