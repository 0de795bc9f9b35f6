"""--record and replay:// on real servers: what one server published, another plays back in the
same order to its own clients; a source that keeps its own pace refuses a period change."""

from pathlib import Path

from client.protocol import FIXED_PACE, Message
from server.recording import Recording
from tests.conftest import TEST_SEED, RunningServer, start_server
from tests.integration.test_cli import run_server
from tests.integration.wsclient import run, ws_client

STREAM = ("price", "trade", "book")
RECORDED_TICKS = 800


def content(message: Message) -> tuple[object, ...]:
    """What a replay must keep: everything but the hub's seq and the send time."""
    return tuple(sorted((k, str(v)) for k, v in message.items() if k not in ("seq", "ts")))


async def stream_messages(server: RunningServer, count: int) -> list[Message]:
    async with ws_client(server) as client:
        await client.handshake()
        got: list[Message] = []
        while len(got) < count:
            message = await client.receive()
            if message["type"] in STREAM:
                got.append(message)
        return got


def test_a_recording_replays_in_the_order_it_was_published(tmp_path: Path) -> None:
    with start_server(
        "--seed", str(TEST_SEED), "--frequency-ms", "10", "--record", str(tmp_path)
    ) as recording_server:
        live = run(stream_messages(recording_server, RECORDED_TICKS))
    recorded = [m for _, _, m in Recording(tmp_path).records() if m["type"] in STREAM]
    recorded_content = [content(m) for m in recorded]
    start = recorded_content.index(content(live[0]))
    assert recorded_content[start : start + len(live)] == [content(m) for m in live]

    with start_server("--source", f"replay://{tmp_path}?speed=1") as replaying:
        replayed = run(stream_messages(replaying, 300))
    first = recorded_content.index(content(replayed[0]))
    assert recorded_content[first : first + len(replayed)] == [content(m) for m in replayed]
    seqs = [m["seq"] for m in replayed]
    assert seqs == sorted(seqs)


def test_a_replayed_market_refuses_a_period_change_and_goes_on(tmp_path: Path) -> None:
    with start_server("--record", str(tmp_path), "--frequency-ms", "20") as recording_server:
        run(stream_messages(recording_server, 50))

    async def scenario(server: RunningServer) -> tuple[Message, list[Message]]:
        async with ws_client(server) as client:
            await client.handshake()
            await client.send({"frequency_ms": 100})
            refused = await client.until_type("error")
            return refused, await client.collect_for(0.5)

    with start_server("--source", f"replay://{tmp_path}?loop=1") as replaying:
        refused, after = run(scenario(replaying))
    assert refused["code"] == FIXED_PACE
    assert "keeps its own pace" in refused["message"]
    assert any(m["type"] == "price" for m in after)
    assert not any(m["type"] == "config" for m in after)


def test_bad_sources_are_one_clear_line() -> None:
    for args, code, text in (
        (["--source", "ftp://x"], 2, "use sim://, replay://, coinbase://, binance://"),
        (["--source", "replay:///no/such/dir"], 1, "no recording at /no/such/dir"),
        (["--source", "replay://x?speed=0"], 1, "speed must be a positive number"),
        (["--source", "sim://extra"], 1, "sim:// takes no path"),
    ):
        result = run_server(*args)
        assert result.returncode == code, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert text in lines[0]
