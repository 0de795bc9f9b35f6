"""Batching groups, its clock and auto's choice of interval, with the hub's real subscribers.

The batching core does no I/O: these tests drive it by calling `tick(now)` with a clock of
their own, with no event loop.
"""

import json
from typing import Any

from client import protocol
from server.batching import AUTO_LEVELS_MS, AUTO_RATE_STEPS, AUTO_REVIEW_S, Batching
from server.hub import Hub, Subscriber
from server.snapshot import Recorder
from tests.unit.test_hub import CONFIG, price, system

INTERVAL_MS = 1000
SYSTEM_MESSAGE = {"type": protocol.SYSTEM}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def batched_hub(clock: Clock | None = None) -> tuple[Hub, Batching[Subscriber]]:
    batching: Batching[Subscriber] = Batching(clock or Clock())
    return Hub(Recorder(CONFIG), tap=batching), batching


def stream_seqs(subscriber: Subscriber) -> list[int]:
    seqs = []
    for frame in subscriber.take():
        data: Any = json.loads(frame)
        for message in data if isinstance(data, list) else [data]:
            if message["type"] in protocol.STREAM_TYPES:
                seqs.append(message["seq"])
    return seqs


def test_a_batch_is_built_once_and_shared_by_its_group() -> None:
    hub, batching = batched_hub()
    one, two = hub.subscribe(), hub.subscribe()
    batching.set(one, INTERVAL_MS)
    batching.set(two, INTERVAL_MS)
    for n in range(5):
        hub.publish(price(n))
    batching.groups[INTERVAL_MS].flush()
    (first,), (second,) = one.frames, two.frames
    assert first is second, "one string for the whole group"
    assert [m["seq"] for m in json.loads(first)] == [1, 2, 3, 4, 5]


def test_a_shed_batch_counts_every_message_in_it_as_dropped() -> None:
    subscriber = Subscriber(limit=2)
    for n in range(3):
        subscriber.offer(f"[{n},{n},{n}]", None, 3)
    assert subscriber.dropped == 3
    assert subscriber.frames == ["[1,1,1]", "[2,2,2]"]


def test_leaving_a_group_delivers_what_it_collected_so_far() -> None:
    hub, batching = batched_hub()
    subscriber = hub.subscribe()
    batching.set(subscriber, INTERVAL_MS)
    for n in range(3):
        hub.publish(system(n))
    batching.set(subscriber, 0)
    hub.publish(system(3))
    assert stream_seqs(subscriber) == [1, 2, 3, 4]


def test_joining_a_group_mid_interval_repeats_nothing() -> None:
    hub, batching = batched_hub()
    early, late = hub.subscribe(), hub.subscribe()
    batching.set(early, INTERVAL_MS)
    hub.publish(system(0))
    batching.set(late, INTERVAL_MS)
    hub.publish(system(1))
    batching.groups[INTERVAL_MS].flush()
    assert stream_seqs(late) == [1, 2]


def test_a_group_is_flushed_by_the_tick_at_its_deadline_and_not_before() -> None:
    clock = Clock()
    hub, batching = batched_hub(clock)
    subscriber = hub.subscribe()
    subscriber.take()  # the snapshot and config
    batching.set(subscriber, INTERVAL_MS)
    due = batching.groups[INTERVAL_MS].due
    assert due == INTERVAL_MS / 1000
    assert batching.next_due() == AUTO_REVIEW_S, "lag is reviewed more often"
    hub.publish(system(0))
    batching.tick(due - 0.001)
    assert subscriber.frames == [], "not due yet"
    batching.tick(due)
    assert batching.groups[INTERVAL_MS].due == due + INTERVAL_MS / 1000
    assert stream_seqs(subscriber) == [1]


def test_nothing_is_due_once_no_one_is_batched() -> None:
    hub, batching = batched_hub()
    subscriber = hub.subscribe()
    batching.set(subscriber, protocol.AUTO)
    assert batching.next_due() == AUTO_REVIEW_S
    hub.unsubscribe(subscriber)
    assert batching.next_due() is None
    assert batching.tick(AUTO_REVIEW_S) is None


def test_auto_follows_the_rate_and_the_backlog() -> None:
    clock = Clock()
    batching: Batching[Subscriber] = Batching(clock)
    subscriber = Subscriber()
    seen = [batching.set(subscriber, protocol.AUTO)[protocol.INTERVAL_MS]]
    for rate in (10.0, AUTO_RATE_STEPS[0] * 2, AUTO_RATE_STEPS[-1] * 2):
        clock.now += 1.0
        for _ in range(int(rate)):
            batching.collect("{}", SYSTEM_MESSAGE, None)
        batching.review(clock.now)
        seen.append(batching.interval_of(subscriber))
    clock.now += 1.0
    batching.review(clock.now)  # idle again
    seen.append(batching.interval_of(subscriber))
    batching.report_backlog(subscriber, 1000)
    batching.review(clock.now)
    seen.append(batching.interval_of(subscriber))
    batching.remove(subscriber)
    assert seen == [0, 0, AUTO_LEVELS_MS[1], AUTO_LEVELS_MS[-1], 0, 0]


def test_the_tick_reviews_auto_every_review_period_and_tells_the_client() -> None:
    clock = Clock()
    batching: Batching[Subscriber] = Batching(clock)
    subscriber = Subscriber()
    batching.set(subscriber, protocol.AUTO)
    clock.now = AUTO_REVIEW_S
    for _ in range(int(AUTO_RATE_STEPS[-1] * AUTO_REVIEW_S * 2)):
        batching.collect("{}", SYSTEM_MESSAGE, None)
    batching.tick(clock.now - 0.001)
    assert batching.interval_of(subscriber) == 0, "not reviewed before its time"
    assert batching.tick(clock.now) == clock.now + min(AUTO_LEVELS_MS[-1] / 1000, AUTO_REVIEW_S)
    assert batching.interval_of(subscriber) == AUTO_LEVELS_MS[-1]
    (reply,) = [json.loads(frame) for frame in subscriber.take()]
    assert reply == {
        "type": protocol.BATCH,
        protocol.BATCH_MS: protocol.AUTO,
        protocol.INTERVAL_MS: AUTO_LEVELS_MS[-1],
    }
