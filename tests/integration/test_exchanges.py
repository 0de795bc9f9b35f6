"""The exchange adapters against a real local WebSocket (and REST) server playing each
exchange's documented messages, the nasty cases included: duplicates, sequence gaps (the book
rebuilt from a fresh snapshot), bad fields, frames that are not JSON, products we did not ask
for, a dropped connection, and a product that does not exist."""

import asyncio
from collections.abc import Callable

import httpx
import pytest

from client.protocol import Message
from server.settings import Settings
from server.sources import SourceError, source_for
from server.sources.binance import BinanceSource
from server.sources.coinbase import CoinbaseSource
from server.sources.exchange import ExchangeSource
from tests.conftest import RunningServer, start_server
from tests.exchanges.local import local_exchange
from tests.integration.wsclient import run, ws_client

WAIT_S = 15.0


async def play(source: ExchangeSource, done: Callable[[list[Message]], bool]) -> list[Message]:
    """Run the source until `done` says its messages are enough."""
    got: list[Message] = []
    finished = asyncio.Event()

    async def emit(messages: list[Message]) -> None:
        got.extend(messages)
        if done(got):
            finished.set()

    task = asyncio.create_task(source.run(emit))
    try:
        async with asyncio.timeout(WAIT_S):
            await finished.wait()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return got


def books(messages: list[Message], symbol: str) -> list[Message]:
    return [m for m in messages if m["type"] == "book" and m["symbol"] == symbol]


def test_coinbase_feed_becomes_our_messages_and_survives_what_real_feeds_do() -> None:
    with local_exchange("coinbase") as exchange:
        source = source_for(f"coinbase://BTC-USD,ETH-USD?ws={exchange.ws_url}", Settings())
        assert isinstance(source, CoinbaseSource)
        assert source.symbols == ["BTC/USD", "ETH/USD"]
        got = run(play(source, lambda ms: any(m.get("price") == 21940.5 for m in ms)))
        assert exchange.opened == 2
    first = books(got, "BTC/USD")[0]
    assert first["bids"] == [
        [21921.73, 0.06317902],
        [21921.3, 0.002],
        [21920.5, 0.5],
        [21919.01, 1.25],
        [21918.0, 2.0],
    ]
    assert first["asks"][:2] == [[21921.74, 0.05], [21922.0, 0.3]]
    updated = books(got, "BTC/USD")[1]
    assert updated["bids"][0] == [21921.73, 1.2]
    assert updated["asks"][0] == [21922.0, 0.3]
    assert not any([21999.0, 5.0] in b["bids"] for b in books(got, "BTC/USD"))  # the duplicate
    trades = [(m["symbol"], m["price"], m["size"], m["side"]) for m in got if m["type"] == "trade"]
    assert trades == [("BTC/USD", 21933.01, 0.5, "buy"), ("ETH/USD", 1600.05, 2.25, "sell")]
    prices = [(m["symbol"], m["price"], m["volume"]) for m in got if m["type"] == "price"]
    assert prices == [
        ("BTC/USD", 21932.98, 16038),
        ("ETH/USD", 1600.5, 250124),
        ("BTC/USD", 21940.5, 16040),
    ]
    assert books(got, "BTC/USD")[-1]["bids"] == [[21940.0, 1.5]]  # rebuilt after the gap
    assert source.resyncs == 1
    assert sum(source.rejected.values()) == 5
    faults = " ".join(source.rejected)
    for fault in ("duplicate", "not a number", "not JSON", "BUY or SELL", "did not ask for"):
        assert fault in faults
    for message in got:
        assert set(message) >= {"type", "symbol", "ts"}


def test_coinbase_reconnects_after_a_dropped_connection() -> None:
    with local_exchange("coinbase_disconnect") as exchange:
        source = source_for(f"coinbase://BTC-USD,ETH-USD?ws={exchange.ws_url}", Settings())
        assert isinstance(source, CoinbaseSource)
        got = run(play(source, lambda ms: any(m.get("price") == 21935.0 for m in ms)))
        assert exchange.opened == 2
    assert source.reconnects == 1
    assert len(books(got, "BTC/USD")) == 2


def test_coinbase_unknown_product_is_a_clear_error_at_start_up() -> None:
    with local_exchange("coinbase_unknown_product") as exchange:
        source = source_for(f"coinbase://FOO-USD?ws={exchange.ws_url}", Settings())
        with pytest.raises(SourceError, match="FOO-USD is not a valid product"):
            run(source.check())


def test_binance_book_follows_the_documented_sync_and_resyncs_after_a_gap() -> None:
    with local_exchange("binance") as exchange:
        url = f"binance://btcusdt,ethusdt?ws={exchange.ws_url}&rest={exchange.rest_url}"
        source = source_for(url, Settings())
        assert isinstance(source, BinanceSource)
        assert source.symbols == ["BTC/USDT", "ETH/USDT"]
        run(source.check())

        def settled(ms: list[Message]) -> bool:
            last = books(ms, "BTC/USDT")
            return bool(last) and [43013.0, 0.5] in last[-1]["asks"]

        got = run(play(source, settled))
        assert "/stream?streams=btcusdt@ticker/btcusdt@trade/btcusdt@depth@100ms/" in (
            " ".join(exchange.requests)
        )
    btc = books(got, "BTC/USDT")
    # The snapshot may come before or after the first diffs: either way 95-99 is dropped (the
    # snapshot holds it) and 100-102 is applied on top.
    after_102 = {
        "bids": [[43000.1, 1.75], [42999.5, 2.0], [42998.0, 0.7]],
        "asks": [[43001.0, 3.1], [43002.5, 1.0]],
    }
    assert after_102 in [{"bids": b["bids"], "asks": b["asks"]} for b in btc]
    assert not any(level[0] == 42990.0 for b in btc for level in b["bids"])
    assert any(b["asks"][0] == [43000.9, 0.4] for b in btc)
    assert btc[-1]["bids"] == [[43010.0, 1.25], [43009.0, 2.0]]  # the fresh snapshot, then 113-116
    assert btc[-1]["asks"] == [[43012.0, 2.0], [43013.0, 0.5]]
    assert books(got, "ETH/USDT")[0]["bids"] == [[2300.1, 5.0]]
    trades = [(m["price"], m["size"], m["side"]) for m in got if m["type"] == "trade"]
    assert trades == [(43000.2, 0.015, "sell"), (43000.3, 0.5, "buy")]
    prices = [(m["symbol"], m["price"], m["volume"]) for m in got if m["type"] == "price"]
    assert prices == [("BTC/USDT", 43000.15, 12346), ("ETH/USDT", 2300.15, 9876)]
    assert source.resyncs == 1
    faults = " ".join(source.rejected)
    for fault in ("duplicate trade", "already sent", "out of range", "gap"):
        assert fault in faults


def test_binance_unknown_symbol_is_a_clear_error_at_start_up() -> None:
    with local_exchange("binance") as exchange:
        url = f"binance://nopeusdt?ws={exchange.ws_url}&rest={exchange.rest_url}"
        with pytest.raises(
            SourceError, match=r"binance has no symbol NOPEUSDT \(Invalid symbol.\)"
        ):
            run(source_for(url, Settings()).check())


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("coinbase://", "needs products"),
        ("coinbase://btc-usd", "not a coinbase product name"),
        ("coinbase://BTC-USD,BTC-USD", "distinct"),
        ("coinbase://BTC-USD?ws=http://x", "ws must be a ws://"),
        ("coinbase://BTC-USD?key=1", "has no option key"),
        ("binance://BTCUSDT", "not a binance product name"),
        ("binance://btcxyz", "cannot tell the quote currency"),
        ("binance://btcusdt?names=BTC/USDT,ETH/USDT", "names must name every product"),
        ("binance://btcusdt?names=<b>", "is not a symbol"),
    ],
)
def test_bad_exchange_urls_are_refused_with_a_reason(url: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        source_for(url, Settings())


def test_a_server_streams_an_exchange_feed_to_its_clients() -> None:
    with local_exchange("coinbase") as exchange:
        url = f"coinbase://BTC-USD,ETH-USD?ws={exchange.ws_url}"
        with start_server("--source", url) as server:

            async def scenario(running: RunningServer) -> tuple[Message, list[Message]]:
                async with ws_client(running) as client:
                    snapshot, config = await client.handshake()
                    await client.send({"frequency_ms": 100})
                    return config, await client.collect_for(1.0) + [snapshot]

            config, messages = run(scenario(server))
            metrics = httpx.get(server.url + "/metrics", timeout=10).text
            health = httpx.get(server.url + "/healthz", timeout=10).json()
    assert "tickscope_source_rejected_total" in metrics
    assert "tickscope_source_reconnects_total" in metrics
    assert health["source"].startswith("coinbase://BTC-USD,ETH-USD")
    assert config["symbols"] == ["BTC/USD", "ETH/USD"]
    errors = [m for m in messages if m["type"] == "error"]
    assert errors
    assert errors[0]["code"] == "fixed_pace"
    snapshot = messages.pop()
    # The feed's messages came before the client (in its snapshot) or after (in the stream).
    prices = [m for m in [*snapshot["last"].values(), *messages] if m["type"] == "price"]
    assert ("BTC/USD", 21940.5) in [(m["symbol"], m["price"]) for m in prices]
    book_messages = [*snapshot["books"].values(), *books(messages, "BTC/USD")]
    assert [[21940.0, 1.5]] in [m["bids"] for m in book_messages]
