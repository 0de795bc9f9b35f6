"""History on a real server: /api/candles and /api/trades agree with what the live stream sent,
answer bad queries with 400 and a sentence, survive a restart (the snapshot opens with the
stored prices), and a store that cannot open leaves the stream running and says so."""

import time
from pathlib import Path
from typing import Any

import httpx

from client.protocol import Message
from tests.conftest import TEST_SEED, RunningServer, start_server
from tests.integration.wsclient import run, ws_client

FLUSHED_WITHIN_S = 5.0


async def live(server: RunningServer, seconds: float) -> list[Message]:
    async with ws_client(server) as client:
        await client.handshake()
        return await client.collect_for(seconds)


def candles_of(messages: list[Message], symbol: str, length: int) -> dict[int, dict[str, Any]]:
    buckets: dict[int, dict[str, Any]] = {}
    for m in messages:
        if m.get("symbol") != symbol:
            continue
        t = m["ts"] // length * length
        if m["type"] == "price":
            p = m["price"]
            b = buckets.setdefault(t, {"t": t, "o": p, "h": p, "l": p, "c": p, "v": 0.0, "n": 0})
            b["h"], b["l"], b["c"] = max(b["h"], p), min(b["l"], p), p
        elif m["type"] == "trade" and t in buckets:
            buckets[t]["v"] += m["size"]
            buckets[t]["n"] += 1
    return buckets


def get(server: RunningServer, path: str, **params: str | int) -> httpx.Response:
    return httpx.get(server.url + path, params=params, timeout=10)


def until_stored(server: RunningServer, symbol: str, last_ts: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + FLUSHED_WITHIN_S
    while True:
        trades = get(server, "/api/trades", symbol=symbol, limit=10_000).json()["trades"]
        if (trades and trades[-1]["ts"] >= last_ts) or time.monotonic() > deadline:
            return trades
        time.sleep(0.1)


def test_the_api_agrees_with_what_the_stream_sent() -> None:
    with start_server("--seed", str(TEST_SEED), "--frequency-ms", "20") as server:
        messages = run(live(server, 3.0))
        symbol = "ETH/USD"
        sent_trades = [m for m in messages if m["type"] == "trade" and m["symbol"] == symbol]
        stored = until_stored(server, symbol, sent_trades[-1]["ts"])
        by_seqless = [(t["ts"], t["price"], t["size"], t["side"]) for t in stored]
        for m in sent_trades:
            assert (m["ts"], m["price"], m["size"], m["side"]) in by_seqless

        expected = candles_of(messages, symbol, 1_000_000)
        inner = sorted(expected)[1:-1]  # the first and last buckets were seen only in part
        got = get(
            server,
            "/api/candles",
            symbol=symbol,
            interval="1s",
            **{"from": inner[0], "to": inner[-1] + 1},
        ).json()
        assert got["symbol"] == symbol
        assert got["interval"] == "1s"
        assert [c["t"] for c in got["candles"]] == inner
        for candle in got["candles"]:
            want = expected[candle["t"]]
            assert [candle[k] for k in "ohlcn"] == [want[k] for k in "ohlcn"]
            assert abs(candle["v"] - want["v"]) < 1e-6

        pages: list[dict[str, Any]] = []
        query: dict[str, str | int] = {"symbol": symbol, "interval": "1s", "limit": 2}
        while True:
            page = get(server, "/api/candles", **query).json()
            pages += page["candles"]
            if page["next"] is None:
                break
            query.update(page["next"])
        whole = get(server, "/api/candles", symbol=symbol, interval="1s").json()["candles"]
        assert [c["t"] for c in pages][: len(whole) - 1] == [c["t"] for c in whole][:-1]


def test_bad_queries_get_400_and_a_sentence(server: RunningServer) -> None:
    for path, params, text in (
        ("/api/candles", {}, "symbol is required"),
        ("/api/candles", {"symbol": "NOPE/USD"}, "unknown symbol 'NOPE/USD'"),
        ("/api/candles", {"symbol": "BTC/USD", "interval": "2s"}, "interval must be one of"),
        ("/api/candles", {"symbol": "BTC/USD", "limit": "0"}, "limit must be from 1 to 10000"),
        ("/api/candles", {"symbol": "BTC/USD", "from": "x"}, "from must be an integer"),
        ("/api/trades", {"symbol": "BTC/USD", "from": "9", "to": "3"}, "must be after from"),
        ("/api/trades", {"symbol": "BTC/USD", "after": "-5"}, "after must be from -1"),
    ):
        response = get(server, path, **params)
        assert response.status_code == 400, (path, params)
        assert text in response.json()["error"]
    assert get(server, "/api/candles", symbol="BTC/USD").status_code == 200


def test_history_survives_a_restart_and_the_page_opens_with_it(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path}/history.sqlite3"
    with start_server("--history", store, "--frequency-ms", "20") as first:
        messages = run(live(first, 1.5))
        sent = [m["price"] for m in messages if m["type"] == "price" and m["symbol"] == "BTC/USD"]
        until_stored(first, "BTC/USD", max(m["ts"] for m in messages if m["type"] == "trade"))
    with start_server("--history", store, "--frequency-ms", "20") as second:

        async def snapshot() -> Message:
            async with ws_client(second) as client:
                return (await client.handshake())[0]

        history = run(snapshot())["prices"]["BTC/USD"]
        assert len(history) > len(sent)
        position = history.index(sent[0])
        assert history[position : position + len(sent)] == sent
        candles = get(second, "/api/candles", symbol="BTC/USD", interval="1m").json()["candles"]
        assert candles
        assert sum(c["n"] for c in candles) >= sum(
            1 for m in messages if m["type"] == "trade" and m["symbol"] == "BTC/USD"
        )


def test_without_history_the_api_says_so() -> None:
    with start_server("--history", "none") as server:
        response = get(server, "/api/candles", symbol="BTC/USD")
        assert response.status_code == 503
        assert "--history none" in response.json()["error"]
        assert get(server, "/healthz").json()["history"] == {"status": "off"}


def test_a_store_that_cannot_open_leaves_the_stream_running(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with start_server("--history", f"sqlite:///{blocker}/history.sqlite3") as server:
        messages = run(live(server, 1.0))
        assert any(m["type"] == "price" for m in messages)
        health = get(server, "/healthz").json()["history"]
        assert "tickscope_history_degraded 1.0" in get(server, "/metrics").text
        assert health["status"] == "degraded"
        assert health["error"]
        assert "history store" in server.log()
