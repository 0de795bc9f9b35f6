"""The asyncio shell around the sans-I/O hub and batching: a writer waiting on its outbox, and
the one ticker task that drives batching's clock."""

import asyncio
import json

from server.batching import Batching
from server.hub import Hub, Subscriber
from server.snapshot import Recorder
from server.ticker import Ticker
from tests.unit.test_hub import CONFIG, price, system

WAIT_S = 5.0  # a generous bound: only a hang reaches it
BATCH_MS = 20


def test_drain_waits_until_a_frame_arrives() -> None:
    hub = Hub(Recorder(CONFIG))
    subscriber = hub.subscribe()
    subscriber.take()

    async def scenario() -> list[str]:
        waiting = asyncio.create_task(subscriber.drain())
        for _ in range(3):
            await asyncio.sleep(0)
        assert not waiting.done()
        hub.publish(price(1))
        return await asyncio.wait_for(waiting, timeout=1.0)

    frames = asyncio.run(scenario())
    assert [json.loads(f)["seq"] for f in frames] == [1]


def test_the_ticker_flushes_a_group_created_while_it_slept() -> None:
    batching: Batching[Subscriber] = Batching()
    hub = Hub(Recorder(CONFIG), tap=batching)
    ticker = Ticker(batching)
    subscriber = hub.subscribe()
    subscriber.take()

    async def scenario() -> list[str]:
        running = asyncio.create_task(ticker.run())
        await asyncio.sleep(0)  # the ticker sleeps with nothing due
        batching.set(subscriber, BATCH_MS)
        ticker.wake()
        for n in range(3):
            hub.publish(system(n))
        try:
            return await asyncio.wait_for(subscriber.drain(), WAIT_S)
        finally:
            running.cancel()

    (frame,) = asyncio.run(scenario())
    assert [message["seq"] for message in json.loads(frame)] == [1, 2, 3]
