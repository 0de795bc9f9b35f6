"""A standby source takes over when the first fails, ends or falls silent, and every client is
told; sources whose symbols differ cannot stand by for each other."""

import asyncio
from pathlib import Path

import pytest

from client.protocol import Message, config
from server.hub import encode
from server.recording import RecordingWriter
from server.settings import Settings
from server.simulator import Market
from server.sources import market_source
from server.sources.failover import Failover
from tests.conftest import RunningServer, start_server
from tests.exchanges.local import local_exchange
from tests.integration.wsclient import run, ws_client

SYMBOLS = ["BTC/USD", "ETH/USD"]


def recording(directory: Path, ticks: int = 200) -> Path:
    market = Market(SYMBOLS, seed=4)
    writer = RecordingWriter(directory, 1 << 30, config(20, SYMBOLS, "r"), flush_interval_s=0)
    writer.start()
    seq = 0
    for tick in range(ticks):
        for message in market.step(tick * 20_000):
            seq += 1
            message["seq"] = seq
            writer.write(message, encode(message))
    writer.stop()
    return directory


def test_a_source_that_ends_hands_over_to_its_standby(tmp_path: Path) -> None:
    once = recording(tmp_path / "a")
    looped = recording(tmp_path / "b")
    settings = Settings(
        sources=(f"replay://{once}?speed=max", f"replay://{looped}?speed=max&loop=1"),
        failover_after_s=5,
    )
    source = market_source(settings)
    assert isinstance(source, Failover)
    told: list[str] = []
    source.on_switch = told.append
    got: list[Message] = []

    async def scenario() -> None:
        enough = asyncio.Event()

        async def emit(messages: list[Message]) -> None:
            got.extend(messages)
            if told and len(got) >= 1500:
                enough.set()

        task = asyncio.create_task(source.run(emit))
        await enough.wait()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    run(asyncio.wait_for(scenario(), 20))
    assert told[0].startswith(f"replay://{once}?speed=max ended;")
    assert f"replay://{looped}" in told[0]
    assert source.switches >= 1
    assert len(got) >= 1500


def test_standbys_must_carry_the_same_symbols(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="rename with \\?names="):
        market_source(
            Settings(sources=(f"replay://{recording(tmp_path)}", "binance://btcusdt,ethusdt"))
        )
    renamed = market_source(
        Settings(
            sources=(
                f"replay://{recording(tmp_path)}",
                "binance://btcusdt,ethusdt?names=BTC/USD,ETH/USD",
            )
        )
    )
    assert renamed.symbols == SYMBOLS


def test_a_silent_exchange_hands_over_and_clients_are_told(tmp_path: Path) -> None:
    standby = recording(tmp_path)
    with local_exchange("coinbase_disconnect") as exchange:
        primary = f"coinbase://BTC-USD,ETH-USD?ws={exchange.ws_url}"
        with start_server(
            "--source", primary, "--source", f"replay://{standby}?loop=1", "--failover-after", "1.5"
        ) as server:

            async def scenario(running: RunningServer) -> tuple[Message, Message, list[Message]]:
                async with ws_client(running) as client:
                    await client.handshake()
                    notice = await client.until_type("gap", timeout=15)
                    snapshot = await client.until_type("snapshot")
                    return notice, snapshot, await client.collect_for(0.5)

            notice, snapshot, after = run(scenario(server))
    assert "fell silent for 1.5 s" in notice["reason"]
    assert f"replay://{standby}?loop=1 took over" in notice["reason"]
    assert snapshot["config"]["symbols"] == SYMBOLS
    assert any(m["type"] == "price" for m in after)
