"""Control messages over a real socket: the shared period changes; bad input costs nothing."""

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from client.protocol import (
    BINARY_FRAME,
    EMPTY_CONTROL,
    INVALID_JSON,
    NOT_AN_OBJECT,
    OUT_OF_RANGE,
    UNKNOWN_FIELD,
    WRONG_TYPE,
)
from tests.conftest import RunningServer, start_server
from tests.integration.wsclient import Message, run, ws_client

MESSAGE_TOO_BIG = 1009
CONTROLS_PER_CONNECTION = 15

BAD_CONTROLS: list[tuple[str | bytes, str]] = [
    ("not json", INVALID_JSON),
    ("", INVALID_JSON),
    ('{"frequency_ms": 50', INVALID_JSON),
    ("[" * 3000, INVALID_JSON),  # nesting deeper than the parser: an error, not a crash
    ("[50]", NOT_AN_OBJECT),
    ("50", NOT_AN_OBJECT),
    ('"frequency_ms"', NOT_AN_OBJECT),
    ("null", NOT_AN_OBJECT),
    ("{}", EMPTY_CONTROL),
    ('{"speed": 50}', UNKNOWN_FIELD),
    ('{"frequency_ms": 50, "extra": true}', UNKNOWN_FIELD),
    ('{"frequency_ms": "50"}', WRONG_TYPE),
    ('{"frequency_ms": true}', WRONG_TYPE),
    ('{"frequency_ms": 50.5}', WRONG_TYPE),
    ('{"frequency_ms": 50.0}', WRONG_TYPE),
    ('{"frequency_ms": null}', WRONG_TYPE),
    ('{"frequency_ms": [50]}', WRONG_TYPE),
    ('{"frequency_ms": NaN}', WRONG_TYPE),
    ('{"frequency_ms": Infinity}', WRONG_TYPE),
    ('{"frequency_ms": 1e400}', WRONG_TYPE),
    ('{"frequency_ms": 9}', OUT_OF_RANGE),
    ('{"frequency_ms": 1001}', OUT_OF_RANGE),
    ('{"frequency_ms": -50}', OUT_OF_RANGE),
    ('{"frequency_ms": 100000000000000000000000000000}', OUT_OF_RANGE),
    (b'{"frequency_ms": 20}', BINARY_FRAME),
]


def is_error(message: Message) -> bool:
    return message["type"] == "error"


def test_every_bad_control_gets_its_error_and_the_stream_goes_on(server: RunningServer) -> None:
    async def scenario() -> list[tuple[Message, list[Message]]]:
        results = []
        async with ws_client(server) as bystander:
            await bystander.handshake()
            # A client may send 20 controls a second; each batch gets a connection of its own.
            for start in range(0, len(BAD_CONTROLS), CONTROLS_PER_CONNECTION):
                async with ws_client(server) as client:
                    await client.handshake()
                    for payload, _ in BAD_CONTROLS[start : start + CONTROLS_PER_CONNECTION]:
                        await client.send(payload)
                        results.append(await client.until(is_error))
                    after = await client.take(30)
                    assert not any(m["type"] in ("error", "config") for m in after)
            watched = await bystander.take(200)
        seqs = [m["seq"] for m in watched]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "the bystander lost messages"
        return results

    results = run(scenario())
    for (payload, code), (error, before) in zip(BAD_CONTROLS, results, strict=True):
        assert error["code"] == code, payload
        assert set(error) == {"type", "code", "message"}
        assert len(error["message"]) < 200
        if code in (WRONG_TYPE, OUT_OF_RANGE):
            assert "frequency_ms" in error["message"]
            assert "10 to 1000" in error["message"]
        assert not any(m["type"] == "config" for m in before), "a bad control changed the market"


def test_refused_controls_are_counted_in_metrics(server: RunningServer) -> None:
    async def scenario() -> None:
        async with ws_client(server) as client:
            await client.handshake()
            await client.send('{"frequency_ms": 5}')
            await client.until(is_error)

    run(scenario())
    text = httpx.get(server.url + "/metrics").text
    assert 'tickscope_control_errors_total{code="out_of_range"}' in text


def test_a_frequency_change_reaches_every_client() -> None:
    async def scenario(server: RunningServer) -> tuple[Message, Message, Message]:
        async with ws_client(server) as sender, ws_client(server) as other:
            await sender.handshake()
            await other.handshake()
            await sender.send({"frequency_ms": 20})
            to_sender = await sender.until_type("config")
            to_other = await other.until_type("config")
        async with ws_client(server) as newcomer:
            snapshot, config = await newcomer.handshake()
            assert snapshot["config"]["frequency_ms"] == 20
            return to_sender, to_other, config

    with start_server("--seed", "2") as server:
        to_sender, to_other, newcomer = run(scenario(server))
        health = httpx.get(server.url + "/healthz").json()
    assert to_sender["frequency_ms"] == to_other["frequency_ms"] == newcomer["frequency_ms"] == 20
    assert to_sender["seq"] == to_other["seq"], "one broadcast, one seq"
    assert health["frequency_ms"] == 20


def test_an_oversized_control_frame_closes_with_1009_and_spares_others(
    server: RunningServer,
) -> None:
    async def scenario() -> int | None:
        async with ws_client(server) as client, ws_client(server) as bystander:
            await client.handshake()
            await bystander.handshake()
            await client.send('{"frequency_ms": ' + " " * 5000 + "50}")
            with pytest.raises(ConnectionClosed) as closed:
                await client.until(lambda m: False)
            assert len(await bystander.take(20)) == 20
            return closed.value.rcvd.code if closed.value.rcvd else None

    assert run(scenario()) == MESSAGE_TOO_BIG


def test_the_default_period_comes_from_the_command_line() -> None:
    async def scenario(server: RunningServer) -> Message:
        async with ws_client(server) as client:
            _, config = await client.handshake()
            return config

    with start_server("--frequency-ms", "250") as server:
        assert run(scenario(server))["frequency_ms"] == 250
