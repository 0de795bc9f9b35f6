"""The store's reducer: windows, caps, books, gaps, snapshots and resyncs."""

from client.protocol import HISTORY_LIMIT, TRADES_LIMIT, Message
from client.signals import Effect
from client.store import LIVE, Store
from tests.portable.check import expect_raises

SYMBOLS = ["BTC/USD", "ETH/USD"]


def snapshot(
    seq: int = 0,
    prices: "dict[str, list[float]] | None" = None,
    trades: "list[Message] | None" = None,
    books: "dict[str, Message] | None" = None,
    frequency_ms: int = 50,
) -> Message:
    return {
        "type": "snapshot",
        "config": {"type": "config", "frequency_ms": frequency_ms, "symbols": SYMBOLS},
        "prices": prices or {symbol: [] for symbol in SYMBOLS},
        "last": {},
        "books": books or {},
        "trades": trades or [],
        "system": None,
        "seq": seq,
    }


def price(seq: int, value: float, symbol: str = "BTC/USD") -> Message:
    return {"type": "price", "symbol": symbol, "price": value, "volume": 100, "ts": seq, "seq": seq}


def trade(seq: int, symbol: str = "BTC/USD") -> Message:
    return {
        "type": "trade",
        "symbol": symbol,
        "price": 1.0,
        "size": 0.5,
        "side": "buy",
        "ts": seq,
        "seq": seq,
    }


def book(seq: int, symbol: str = "BTC/USD", best_bid: float = 99.0) -> Message:
    return {
        "type": "book",
        "symbol": symbol,
        "bids": [[best_bid - i, 1.0] for i in range(5)],
        "asks": [[best_bid + 1 + i, 1.0] for i in range(5)],
        "ts": seq,
        "seq": seq,
    }


def ready_store(window: int = 200) -> Store:
    store = Store(window)
    store.apply(snapshot())
    return store


def test_a_history_never_grows_past_the_window():
    store = ready_store(200)
    for seq in range(1, 451):
        store.apply(price(seq, float(seq)))
    history = store.histories["BTC/USD"]
    assert len(history) == 200
    assert history[0] == 251.0
    assert history[-1] == 450.0


def test_shrinking_the_window_trims_at_once_and_growing_keeps_what_is_there():
    store = ready_store(1000)
    for seq in range(1, 701):
        store.apply(price(seq, float(seq)))
    store.set_window(200)
    assert store.histories["BTC/USD"] == [float(v) for v in range(501, 701)]
    store.set_window(500)
    assert len(store.histories["BTC/USD"]) == 200
    for seq in range(701, 1201):
        store.apply(price(seq, float(seq)))
    assert len(store.histories["BTC/USD"]) == 500


def test_only_the_offered_windows_are_accepted():
    expect_raises(ValueError, Store, 300)
    store = ready_store()
    expect_raises(ValueError, store.set_window, 0)


def test_the_snapshot_history_is_cut_to_the_window():
    store = Store(200)
    store.apply(
        snapshot(seq=5, prices={"BTC/USD": [float(v) for v in range(HISTORY_LIMIT)], "ETH/USD": []})
    )
    assert len(store.histories["BTC/USD"]) == 200
    assert store.histories["BTC/USD"][-1] == float(HISTORY_LIMIT - 1)
    assert store.last_seq == 5


def test_trades_keep_the_newest_hundred():
    store = ready_store()
    for seq in range(1, 151):
        store.apply(trade(seq))
    assert len(store.trades) == TRADES_LIMIT
    assert store.trades[0]["seq"] == 51
    assert store.trades[-1]["seq"] == 150
    assert store.trades_total == 150


def test_a_book_replaces_the_previous_one_of_its_symbol():
    store = ready_store()
    store.apply(book(1, best_bid=99.0))
    store.apply(book(2, best_bid=120.0))
    store.apply(book(3, symbol="ETH/USD", best_bid=5.0))
    assert store.books["BTC/USD"]["bids"][0][0] == 120.0
    assert store.books["ETH/USD"]["bids"][0][0] == 5.0


def test_gaps_count_every_missing_seq():
    store = ready_store()
    for seq in (1, 2, 5, 6, 10):
        store.apply(price(seq, 1.0))
    assert store.gaps == 2 + 3
    assert store.received == 1 + 5


def test_a_stale_or_repeated_seq_is_skipped_not_applied():
    store = ready_store()
    store.apply(price(3, 1.0))
    assert not store.apply(price(3, 2.0))
    assert not store.apply(price(2, 3.0))
    assert store.histories["BTC/USD"] == [1.0]
    assert store.duplicates == 2


def test_unknown_messages_are_counted_and_skipped():
    store = ready_store()
    assert not store.apply({"type": "weather", "seq": 1})
    assert not store.apply({"no type": True})
    assert store.unknown == 2


def test_a_price_bumps_only_its_own_symbols_version():
    store = ready_store()
    runs = {"BTC/USD": 0, "ETH/USD": 0}

    def watch(symbol):
        def effect():
            store.price_versions[symbol].get()
            runs[symbol] += 1

        return effect

    Effect(watch("BTC/USD"))
    Effect(watch("ETH/USD"))
    store.apply(price(1, 1.0))
    store.apply(price(2, 2.0))
    assert runs == {"BTC/USD": 3, "ETH/USD": 1}


def test_a_resync_snapshot_replaces_state_and_starts_a_new_epoch():
    store = ready_store()
    for seq in range(1, 11):
        store.apply(trade(seq))
        store.apply(price(100 + seq, float(seq)))
    epoch = store.epoch.peek()
    gaps = store.gaps
    store.apply(
        snapshot(seq=500, prices={"BTC/USD": [7.0, 8.0], "ETH/USD": [1.0]}, trades=[trade(499)])
    )
    assert store.epoch.peek() == epoch + 1
    assert store.histories["BTC/USD"] == [7.0, 8.0]
    assert [t["seq"] for t in store.trades] == [499]
    assert store.last_seq == 500
    store.apply(price(501, 9.0))
    assert store.gaps == gaps, "the snapshot is the new baseline"


def test_config_and_errors_reach_their_signals():
    store = ready_store()
    store.apply({"type": "config", "frequency_ms": 20, "symbols": SYMBOLS, "seq": 1})
    store.apply({"type": "error", "code": "out_of_range", "message": "frequency_ms must be ..."})
    assert store.frequency_ms.peek() == 20
    assert store.last_error.peek()["code"] == "out_of_range"


def test_reset_counts_keeps_the_market():
    store = ready_store()
    store.apply(price(1, 1.0))
    store.apply(price(5, 2.0))
    store.state.set(LIVE)
    store.reset_counts()
    assert (store.received, store.gaps) == (0, 0)
    assert store.histories["BTC/USD"] == [1.0, 2.0]


def test_malformed_stream_messages_are_counted_and_change_nothing():
    store = ready_store()
    store.apply(price(1, 10.0))
    bad: "list[Message]" = [
        {"type": "price", "symbol": "BTC/USD"},
        {"type": "price", "symbol": "BTC/USD", "price": "high", "volume": 1, "ts": 1, "seq": 2},
        {"type": "price", "symbol": "BTC/USD", "price": 1.0, "volume": 1, "ts": 1, "seq": "3"},
        {"type": "price", "symbol": "BTC/USD", "price": True, "volume": 1, "ts": 1, "seq": 4},
        {"type": "book", "symbol": "BTC/USD", "bids": [[1.0]], "asks": [], "ts": 1, "seq": 5},
        {"type": "trade", "symbol": 7, "price": 1.0, "size": 1.0, "side": "buy", "ts": 1},
        {"type": "system", "cpu_pct": None, "mem_mb": 1, "msg_rate": 1, "ts": 1},
    ]
    for message in bad:
        assert not store.apply(message)
    assert store.unknown == len(bad)
    assert store.histories["BTC/USD"] == [10.0]
    assert store.last_seq == 1
    assert store.apply(price(2, 11.0))


def test_a_book_needs_lists_of_number_pairs_on_both_sides():
    nan = float("nan")
    bad_levels = (
        None,
        "[[1.0, 2.0]]",
        [[1.0, 2.0], [3.0]],
        [[1.0, 2.0, 3.0]],
        [[1.0, True]],
        [[False, 1.0]],
        [[1.0, nan]],
        [[nan, 1.0]],
        [[1.0, "2"]],
        [[1.0, None]],
        [None],
        [7],
        ["ab"],
        [{"1": 1.0, "2": 2.0}],
    )
    store = ready_store()
    good = book(1)
    assert store.apply(good)
    seq = 2
    for levels in bad_levels:
        for side in ("bids", "asks"):
            message = book(seq)
            message[side] = levels
            assert not store.apply(message), (side, levels)
            seq += 1
    assert store.unknown == 2 * len(bad_levels)
    assert store.books["BTC/USD"] is good
    whole = book(seq)
    whole["bids"] = [[1, 2], [3.5, 4]]  # integers are numbers too
    whole["asks"] = []
    assert store.apply(whole)
    assert store.books["BTC/USD"] is whole


def test_a_gap_notice_counts_the_missed_seqs_and_tells_the_person():
    store = Store()
    store.apply(snapshot(seq=10))
    store.apply(price(11, 1.0))
    store.apply({"type": "gap", "first": 12, "last": 41, "reason": "Redis restarted"})
    assert store.gaps == 30
    notice = store.last_error.peek()
    assert notice["code"] == "gap"
    assert "30 messages were lost (Redis restarted)" in notice["message"]
    store.apply(snapshot(seq=41))
    store.apply(price(42, 2.0))
    assert store.gaps == 30, "the snapshot after the notice resyncs without another gap"


def test_a_malformed_gap_notice_is_skipped():
    store = Store()
    store.apply(snapshot(seq=1))
    assert not store.apply({"type": "gap", "first": "12", "last": 41, "reason": "x"})
    assert store.gaps == 0


def conflated(first: int, last: int, skipped: int) -> Message:
    return {
        "type": "conflated",
        "first": first,
        "last": last,
        "skipped": skipped,
        "interval_ms": 100,
    }


def test_seqs_a_conflated_interval_stood_for_are_skipped_not_lost():
    store = ready_store()
    store.apply(price(1, 100.0))
    store.apply({"type": "delivery", "mode": "conflated", "interval_ms": 100, "lag_ms": 900})
    for message in (conflated(2, 9, 6), price(5, 105.0), book(8), conflated(10, 12, 2)):
        store.apply(message)
    store.apply(trade(11))
    store.apply(price(13, 106.0))
    assert store.gaps == 0
    assert store.conflated == 8
    assert store.conflated_lately == 8
    assert store.last_prices["BTC/USD"]["price"] == 106.0
    assert store.delivery.peek()["mode"] == "conflated"
    store.apply(price(15, 107.0))
    assert store.gaps == 1, "beyond what was conflated, a missing seq is lost"


def test_a_fresh_start_counts_what_it_skipped_as_a_gap_with_its_reason():
    store = ready_store()
    store.apply(price(1, 100.0))
    store.expect_fresh_snapshot("too far behind")
    store.apply(snapshot(seq=50))
    assert store.gaps == 49
    assert "too far behind" in store.last_error.peek()["message"]
    store.apply(snapshot(seq=60))
    assert store.gaps == 49, "an ordinary resync is not counted again"
    assert store.delivery.peek() is None
