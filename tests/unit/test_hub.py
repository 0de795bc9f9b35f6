"""The hub: seq per message, one encode per message, fan-out, bounded queues, accounting.

The hub does no I/O of its own: these tests take what it queued, with no event loop.
"""

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import server.hub
from client import protocol
from server.hub import Hub, Subscriber
from server.snapshot import Recorder

SYMBOLS = ["BTC/USD", "ETH/USD"]
GRACE_S = 5.0
CONFIG = protocol.config(50, SYMBOLS)


def price(n: int, symbol: str = "BTC/USD") -> dict[str, Any]:
    return {"type": "price", "symbol": symbol, "price": 100.0 + n, "volume": 100, "ts": n}


def system(n: int) -> dict[str, Any]:
    """A frame the hub neither conflates nor drops first: it only ever loses the oldest."""
    return {"type": "system", "cpu_pct": 1.0, "mem_mb": 100, "msg_rate": n, "ts": n}


def trade(n: int) -> dict[str, Any]:
    return {"type": "trade", "symbol": "BTC/USD", "price": 1.0, "size": 1.0, "side": "buy", "ts": n}


def drain(subscriber: Subscriber) -> list[dict[str, Any]]:
    return [json.loads(frame) for frame in subscriber.take()]


def seqs(messages: list[dict[str, Any]]) -> list[int]:
    return [m["seq"] for m in messages if m["type"] in protocol.STREAM_TYPES]


@pytest.fixture
def hub() -> Hub:
    return Hub(Recorder(CONFIG))


def test_publish_assigns_seq_one_more_per_message(hub: Hub) -> None:
    messages = [price(n) for n in range(5)]
    for message in messages:
        hub.publish(message)
    assert [m["seq"] for m in messages] == [1, 2, 3, 4, 5]
    assert hub.seq == 5
    assert hub.published == 5


def test_each_message_is_encoded_once_whatever_the_number_of_subscribers(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(5):
        hub.subscribe()
    encoded: list[dict[str, Any]] = []
    real_encode = server.hub.encode

    def counting_encode(message: dict[str, Any]) -> str:
        encoded.append(message)
        return real_encode(message)

    monkeypatch.setattr(server.hub, "encode", counting_encode)
    messages = [price(n) for n in range(3)]
    for message in messages:
        hub.publish(message)
    assert len(encoded) == 3
    assert all(a is b for a, b in zip(encoded, messages, strict=True))


def test_frames_are_the_json_of_the_message_with_its_seq(hub: Hub) -> None:
    subscriber = hub.subscribe()
    drain(subscriber)
    message = price(1)
    hub.publish(message)
    (frame,) = subscriber.take()
    assert json.loads(frame) == {**price(1), "seq": 1}
    assert message["seq"] == 1


def test_every_subscriber_gets_the_same_frame_objects(hub: Hub) -> None:
    subscribers = [hub.subscribe() for _ in range(5)]
    for subscriber in subscribers:
        drain(subscriber)
    for n in range(4):
        hub.publish(price(n))
    frames = [s.take() for s in subscribers]
    assert len(frames[0]) == 4
    for other in frames[1:]:
        assert len(other) == 4
        assert all(a is b for a, b in zip(frames[0], other, strict=True))


def test_subscribe_queues_the_snapshot_then_the_config_first(hub: Hub) -> None:
    hub.publish(price(1))
    hub.publish(price(2, "ETH/USD"))
    subscriber = hub.subscribe()
    hub.publish(price(3))
    first, second, *rest = drain(subscriber)
    assert first["type"] == "snapshot"
    assert first["seq"] == 2
    assert first["config"] == CONFIG
    assert first["prices"] == {"BTC/USD": [101.0], "ETH/USD": [102.0]}
    assert second == CONFIG
    assert seqs(rest) == [3]


def test_stream_after_the_snapshot_continues_from_its_seq(hub: Hub) -> None:
    for n in range(7):
        hub.publish(price(n))
    subscriber = hub.subscribe()
    for n in range(3):
        hub.publish(price(n))
    snapshot, _, *rest = drain(subscriber)
    assert seqs(rest) == [snapshot["seq"] + 1, snapshot["seq"] + 2, snapshot["seq"] + 3]


def test_a_full_queue_keeps_the_newest_frames_and_counts_the_dropped() -> None:
    hub = Hub(Recorder(CONFIG), queue_limit=10)
    subscriber = hub.subscribe()
    drain(subscriber)  # the snapshot and config replies
    for n in range(25):
        hub.publish(system(n))
    assert subscriber.pending == 10
    assert subscriber.dropped == 15
    assert hub.dropped == 15
    assert seqs(drain(subscriber)) == list(range(16, 26))
    assert subscriber.pending == 0


def test_undrained_subscriber_gets_its_replies_then_the_newest_frames() -> None:
    hub = Hub(Recorder(CONFIG), queue_limit=10)
    subscriber = hub.subscribe()
    for n in range(25):
        hub.publish(system(n))
    assert subscriber.dropped == 15
    # pending counts the stream frames (bounded) and the two direct replies (never dropped)
    assert subscriber.pending == 10 + 2
    messages = drain(subscriber)
    assert [m["type"] for m in messages[:2]] == ["snapshot", "config"]
    assert seqs(messages[2:]) == list(range(16, 26))


def test_slow_subscriber_does_not_affect_the_others() -> None:
    hub = Hub(Recorder(CONFIG), queue_limit=5)
    slow = hub.subscribe()
    fast = hub.subscribe()
    drain(slow)
    drain(fast)
    received: list[int] = []
    for n in range(20):
        hub.publish(price(n))
        received += seqs(drain(fast))
    assert received == list(range(1, 21))
    assert fast.dropped == 0
    assert slow.dropped == 15
    assert hub.dropped == 15


@given(
    limit=st.integers(min_value=1, max_value=40),
    count=st.integers(min_value=0, max_value=150),
)
def test_queue_holds_the_last_limit_frames_in_seq_order(limit: int, count: int) -> None:
    hub = Hub(Recorder(CONFIG), queue_limit=limit)
    subscriber = hub.subscribe()
    drain(subscriber)
    for n in range(count):
        hub.publish(system(n))
    assert subscriber.dropped == max(0, count - limit)
    assert subscriber.pending == min(count, limit)
    if count:
        assert seqs(drain(subscriber)) == list(range(1, count + 1))[-limit:]


def test_direct_replies_are_never_dropped() -> None:
    subscriber = Subscriber(limit=2)
    for n in range(5):
        subscriber.reply(protocol.error("wrong_type", str(n)))
    subscriber.offer("frame")
    messages = [json.loads(f) for f in subscriber.take()[:5]]
    assert [m["message"] for m in messages] == ["0", "1", "2", "3", "4"]
    assert subscriber.dropped == 0


def test_drain_puts_direct_replies_before_stream_frames() -> None:
    subscriber = Subscriber(limit=10)
    subscriber.offer("a")
    subscriber.reply(protocol.error("x", "y"))
    subscriber.offer("b")
    frames = subscriber.take()
    assert json.loads(frames[0])["type"] == "error"
    assert frames[1:] == ["a", "b"]


def test_unsubscribe_stops_delivery_and_keeps_the_totals() -> None:
    hub = Hub(Recorder(CONFIG), queue_limit=3)
    leaving = hub.subscribe()
    staying = hub.subscribe()
    for n in range(5):
        hub.publish(system(n))
    leaving.sent += 4  # as the socket's send loop counts
    staying.sent += 1
    hub.unsubscribe(leaving)
    pending = leaving.pending
    hub.publish(system(5))
    assert leaving.pending == pending
    assert leaving not in hub.subscribers
    assert hub.sent == 5
    assert hub.dropped == 2 + 3
    hub.unsubscribe(leaving)  # a second unsubscribe does not count it twice
    assert hub.sent == 5
    assert hub.dropped == 5


def test_published_messages_are_recorded_for_the_next_snapshot(hub: Hub) -> None:
    for n in range(3):
        hub.publish(price(n))
    snapshot = hub.snapshot()
    assert snapshot["seq"] == 3
    assert snapshot["prices"]["BTC/USD"] == [100.0, 101.0, 102.0]
    assert snapshot["last"]["BTC/USD"]["seq"] == 3


def test_a_slow_client_keeps_the_newest_price_and_book_of_each_symbol() -> None:
    hub = Hub(Recorder(CONFIG), queue_limit=10)
    subscriber = hub.subscribe()
    drain(subscriber)
    for n in range(30):
        hub.publish(price(n, SYMBOLS[n % 2]))
    messages = drain(subscriber)
    newest = {m["symbol"]: m["price"] for m in messages}
    assert newest == {"BTC/USD": 128.0, "ETH/USD": 129.0}
    assert seqs(messages) == sorted(seqs(messages))
    assert subscriber.dropped == 30 - len(messages)


def test_trades_go_before_frames_that_cannot_be_conflated() -> None:
    hub = Hub(Recorder(CONFIG), queue_limit=6)
    subscriber = hub.subscribe()
    drain(subscriber)
    for n in range(4):
        hub.publish(system(n))
    for n in range(3):
        hub.publish(trade(n))
    kinds = [m["type"] for m in drain(subscriber)]
    assert kinds == ["system"] * 4, "the trades were shed, the system frames kept"
    assert subscriber.dropped == 3


def test_the_byte_limit_bounds_the_queue_too() -> None:
    subscriber = Subscriber(limit=1000, byte_limit=50)
    for n in range(20):
        subscriber.offer(f"frame-{n:04d}")  # 10 bytes each
    assert subscriber.queued_bytes <= 50
    assert subscriber.frames[-1] == "frame-0019"
    assert subscriber.dropped == 15


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_client_behind_for_longer_than_the_grace_is_asked_to_close_with_1013() -> None:
    clock = Clock()
    subscriber = Subscriber(limit=2, grace_s=GRACE_S, clock=clock)
    for n in range(3):
        subscriber.offer(f"f{n}")
    assert not subscriber.evicted.is_set(), "behind, but within the grace"
    clock.now += GRACE_S * 2
    subscriber.offer("f3")
    assert subscriber.evicted.is_set()
    assert subscriber.closing is not None
    assert subscriber.closing[0] == 1013
    assert "too slow" in subscriber.closing[1]


def test_catching_up_resets_the_grace() -> None:
    subscriber = Subscriber(limit=2, grace_s=60.0)
    for n in range(4):
        subscriber.offer(f"f{n}")
    assert subscriber.behind_since is not None
    subscriber.take()
    assert subscriber.behind_since is None
    assert not subscriber.evicted.is_set()


def test_a_resuming_client_gets_exactly_the_retained_frames_it_missed_and_no_snapshot(
    hub: Hub,
) -> None:
    for n in range(10):
        hub.publish(price(n))
    backlog = hub.retained_after(6)
    assert backlog is not None
    subscriber = hub.subscribe(backlog)
    hub.publish(price(10))
    messages = drain(subscriber)
    assert [m["type"] for m in messages[:1]] == ["config"]
    assert "seq" not in messages[0]
    assert seqs(messages) == [7, 8, 9, 10, 11]


def test_retained_frames_are_bounded_and_a_seq_outside_them_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(server.hub, "RECENT_LIMIT", 5)
    hub = Hub(Recorder(CONFIG))
    for n in range(12):
        hub.publish(price(n))
    assert hub.retained_after(12) == []
    assert [entry.seq for entry in hub.retained_after(7) or []] == [8, 9, 10, 11, 12]
    assert hub.retained_after(6) is None, "seq 7 is gone"
    assert hub.retained_after(13) is None, "a seq this market never reached"


def test_a_resync_tells_every_client_what_it_missed_then_sends_the_new_snapshot(
    hub: Hub,
) -> None:
    subscriber = hub.subscribe()
    drain(subscriber)
    for n in range(3):
        hub.publish(price(n))
    elsewhere = Hub(Recorder(CONFIG))
    for n in range(50):
        elsewhere.publish(price(n))
    hub.resync(elsewhere.snapshot(), "the broker restarted")
    notice, snapshot = drain(subscriber)
    assert notice == {"type": "gap", "first": 4, "last": 50, "reason": "the broker restarted"}
    assert snapshot["type"] == "snapshot"
    assert snapshot["seq"] == hub.seq == 50
    assert snapshot["prices"] == elsewhere.snapshot()["prices"]
    assert subscriber.dropped == 3, "the queued frames the snapshot replaced are counted lost"
    hub.publish(price(99))
    assert seqs(drain(subscriber)) == [51]


def test_a_config_replayed_to_new_clients_carries_no_old_seq(hub: Hub) -> None:
    hub.publish(protocol.config(200, SYMBOLS))
    hub.publish(price(1))
    snapshot, config = drain(hub.subscribe())
    assert config == protocol.config(200, SYMBOLS)
    assert snapshot["config"] == config
