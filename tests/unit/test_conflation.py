"""Conflated delivery for lagging clients: who goes in and out, what an interval keeps, and
that a client's own store tells skipped-on-purpose from lost.

The hub, batching and the client's store are pure: these tests drive them with a clock of their
own and read what was queued, with no event loop.
"""

import json
from typing import Any

from client import protocol
from client.store import Store
from server.batching import Batching
from server.conflation import (
    CONFLATE_INTERVAL_MS,
    CONFLATE_LEVELS_MS,
    ENTER_MS,
    HOLD_S,
    LEAVE_MS,
    MAX_HOLD_S,
    PROBE_FAIL_MS,
    TRADE_CAP,
    LagState,
)
from server.hub import Hub, Subscriber
from server.snapshot import Recorder
from tests.unit.test_batching import Clock
from tests.unit.test_hub import CONFIG, SYMBOLS, price, system, trade

INTERVAL_S = CONFLATE_INTERVAL_MS / 1000
LAGGING_MS = int(ENTER_MS * 4)


def conflating_hub() -> tuple[Hub, Batching[Subscriber], Clock]:
    clock = Clock()
    batching: Batching[Subscriber] = Batching(clock)
    return Hub(Recorder(CONFIG), tap=batching, clock=clock), batching, clock


def messages(subscriber: Subscriber) -> list[dict[str, Any]]:
    """What the client reads, batch frames unpacked, in order."""
    out: list[dict[str, Any]] = []
    for frame in subscriber.take():
        data = json.loads(frame)
        out.extend(data if isinstance(data, list) else [data])
    return out


def of_type(items: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [item for item in items if item["type"] == kind]


def fed_store(subscriber: Subscriber, store: Store | None = None) -> Store:
    store = store or Store()
    for message in messages(subscriber):
        store.apply(message)
    return store


def lagging(hub: Hub, batching: Batching[Subscriber], clock: Clock, setting: Any) -> Subscriber:
    """A subscriber that reports a backlog and is reviewed into conflated delivery."""
    subscriber = hub.subscribe()
    if setting is not None:
        batching.set(subscriber, setting)
    batching.report_backlog(subscriber, LAGGING_MS)
    batching.review(clock.now)
    return subscriber


def busy_interval(hub: Hub, batching: Batching[Subscriber], clock: Clock) -> None:
    """One conflation interval of a busy market: many prices a symbol, trades, a system."""
    for n in range(20):
        for symbol in SYMBOLS:
            hub.publish(price(n, symbol))
        hub.publish(trade(n))
    hub.publish(system(1))
    clock.now += INTERVAL_S
    batching.tick(clock.now)


def test_a_client_reporting_a_backlog_gets_the_newest_value_per_instrument() -> None:
    hub, batching, clock = conflating_hub()
    subscriber = lagging(hub, batching, clock, protocol.AUTO)
    busy_interval(hub, batching, clock)
    got = messages(subscriber)
    (notice,) = of_type(got, protocol.DELIVERY)
    assert notice["mode"] == protocol.CONFLATED_MODE
    assert notice["lag_ms"] == LAGGING_MS
    (summary,) = of_type(got, protocol.CONFLATED)
    prices = of_type(got, protocol.PRICE)
    assert {p["symbol"]: p["price"] for p in prices} == dict.fromkeys(SYMBOLS, 119.0)
    assert len(prices) == len(SYMBOLS), "one price per symbol: the newest"
    assert len(of_type(got, protocol.TRADE)) == TRADE_CAP
    assert len(of_type(got, protocol.SYSTEM)) == 1
    kept = len(of_type(got, protocol.PRICE) + of_type(got, protocol.TRADE)) + 1
    assert summary["first"] == 1
    assert summary["last"] == hub.seq
    assert summary["skipped"] == hub.seq - kept == subscriber.conflated == hub.conflated


def test_the_client_counts_conflated_messages_as_skipped_not_lost() -> None:
    hub, batching, clock = conflating_hub()
    subscriber = lagging(hub, batching, clock, protocol.AUTO)
    store = Store()
    for _ in range(3):
        busy_interval(hub, batching, clock)
        fed_store(subscriber, store)
    assert store.gaps == 0
    assert store.conflated == subscriber.conflated > 0
    assert store.last_seq == hub.seq
    assert store.delivery.peek()["mode"] == protocol.CONFLATED_MODE
    assert {s: store.last_prices[s]["price"] for s in SYMBOLS} == dict.fromkeys(SYMBOLS, 119.0)


def test_an_unbatched_client_gets_the_kept_messages_one_frame_each() -> None:
    hub, batching, clock = conflating_hub()
    subscriber = lagging(hub, batching, clock, None)
    subscriber.take()
    busy_interval(hub, batching, clock)
    frames = [json.loads(frame) for frame in subscriber.take()]
    assert all(isinstance(frame, dict) for frame in frames), "no array for a raw client"
    assert frames[0]["type"] == protocol.CONFLATED


def test_a_client_that_sends_no_reports_is_conflated_by_its_outbox_age() -> None:
    hub, batching, clock = conflating_hub()
    subscriber = hub.subscribe()
    hub.publish(price(0))  # queued, and the socket takes nothing
    clock.now += ENTER_MS / 1000 / 2
    batching.review(clock.now)
    assert not batching.lag[subscriber].conflated, "not yet behind enough"
    clock.now += ENTER_MS / 1000
    batching.review(clock.now)
    assert batching.lag[subscriber].conflated
    assert batching.conflated_count == 1


def test_a_client_joining_mid_interval_misses_nothing_and_sees_nothing_twice() -> None:
    hub, batching, clock = conflating_hub()
    first = lagging(hub, batching, clock, protocol.AUTO)
    hub.publish(price(0))
    second = lagging(hub, batching, clock, 0)  # still full delivery until the boundary
    store = fed_store(second)
    for n in range(1, 5):
        hub.publish(price(n))
    store = fed_store(second, store)
    assert store.last_seq == hub.seq, "full delivery until the interval ends"
    busy_interval(hub, batching, clock)  # the boundary: joins
    busy_interval(hub, batching, clock)
    store = fed_store(second, store)
    assert store.gaps == 0
    assert store.duplicates == 0
    assert store.conflated > 0
    assert first in batching.conflation.interval_of
    assert second in batching.conflation.interval_of


def quiet_interval(hub: Hub, batching: Batching[Subscriber], clock: Clock, backlog_ms: int) -> None:
    """One shortest interval of a busy market, the client reporting `backlog_ms`."""
    for n in range(5):
        for symbol in SYMBOLS:
            hub.publish(price(n, symbol))
    batching.report_backlog(next(iter(batching.lag)), backlog_ms)
    clock.now += CONFLATE_LEVELS_MS[-1] / 1000
    batching.tick(clock.now)


def test_a_client_that_caught_up_climbs_back_to_full_delivery_with_no_gap() -> None:
    hub, batching, clock = conflating_hub()
    subscriber = lagging(hub, batching, clock, protocol.AUTO)
    store = Store()
    seen: list[dict[str, Any]] = []
    for _ in range(int(HOLD_S * len(CONFLATE_LEVELS_MS) * 2 / (CONFLATE_LEVELS_MS[-1] / 1000))):
        quiet_interval(hub, batching, clock, int(LEAVE_MS / 2))
        got = messages(subscriber)  # read at once: its outbox never ages
        seen.extend(got)
        for message in got:
            store.apply(message)
    notices = of_type(seen, protocol.DELIVERY)
    assert [(n["mode"], n[protocol.INTERVAL_MS]) for n in notices[:-1]] == [
        (protocol.CONFLATED_MODE, interval) for interval in CONFLATE_LEVELS_MS
    ], "one rung at a time, shorter intervals first"
    assert notices[-1]["mode"] == protocol.FULL_MODE
    assert not batching.lag[subscriber].conflated
    assert store.gaps == 0
    assert store.duplicates == 0
    assert store.last_seq == hub.seq
    last_notice = seen.index(notices[-1])
    after = [m for m in seen[last_notice:] if m["type"] == protocol.PRICE]
    assert [m["seq"] for m in after] == list(range(after[0]["seq"], hub.seq + 1)), "every one"


def test_a_client_held_in_conflation_stays_for_its_hold_even_if_it_catches_up() -> None:
    hub, batching, clock = conflating_hub()
    subscriber = lagging(hub, batching, clock, protocol.AUTO)
    clock.now += HOLD_S / 2
    batching.report_backlog(subscriber, 0)
    batching.review(clock.now)
    assert batching.lag[subscriber].level == 0


def test_lagging_on_the_way_up_steps_back_down_and_doubles_the_hold() -> None:
    lag = LagState()
    assert lag.decide(ENTER_MS * 2, 0.0) == CONFLATE_LEVELS_MS[0]
    assert lag.decide(0.0, HOLD_S) == CONFLATE_LEVELS_MS[1]
    assert lag.decide(ENTER_MS * 2, HOLD_S + 1) == CONFLATE_LEVELS_MS[0]
    assert lag.until == HOLD_S + 1 + 2 * HOLD_S
    assert lag.decide(0.0, HOLD_S + 2) is None, "held"


def test_a_step_up_that_lags_at_all_is_undone_and_every_rung_then_held_longer() -> None:
    lag = LagState()
    lag.decide(ENTER_MS * 2, 0.0)
    lag.decide(0.0, HOLD_S)  # up a rung: a probe
    assert lag.decide((PROBE_FAIL_MS + ENTER_MS) / 2, HOLD_S + 0.5) == CONFLATE_LEVELS_MS[0]
    assert lag.decide(0.0, HOLD_S + 0.5 + 2 * HOLD_S) == CONFLATE_LEVELS_MS[1]
    assert lag.until - (HOLD_S + 0.5 + 2 * HOLD_S) == 2 * HOLD_S, "the next rung waits longer"


def test_falling_behind_again_soon_after_leaving_doubles_the_hold() -> None:
    lag = LagState()
    now = 0.0
    lag.decide(ENTER_MS * 2, now)
    while lag.conflated:
        now += HOLD_S
        lag.decide(0.0, now)
    lag.decide(ENTER_MS * 2, now + 1.0)
    assert lag.until - (now + 1.0) == 2 * HOLD_S
    while lag.conflated:
        now += MAX_HOLD_S
        lag.decide(0.0, now)
    lag.decide(ENTER_MS * 2, now + 1000.0)
    assert lag.until - (now + 1000.0) == HOLD_S, "long after: the shortest hold again"


def test_a_stale_report_does_not_keep_a_client_behind() -> None:
    lag = LagState()
    lag.report(LAGGING_MS, 0.0)
    assert lag.lag_ms(0.0, 1.0) == LAGGING_MS
    assert lag.lag_ms(0.0, 10.0) == 0.0


def test_a_departed_client_leaves_conflation_and_its_tally_stays_counted() -> None:
    hub, batching, clock = conflating_hub()
    subscriber = lagging(hub, batching, clock, protocol.AUTO)
    busy_interval(hub, batching, clock)
    counted = hub.conflated
    hub.unsubscribe(subscriber)
    assert batching.conflated_count == 0
    assert subscriber not in batching.tapped
    assert hub.conflated == counted > 0
    assert batching.conflation.groups == {}, "nobody conflated: nothing kept"
