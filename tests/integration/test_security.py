"""Hostile and careless clients: other origins, other hosts, floods, too many connections."""

import subprocess
import sys

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from client.protocol import INVALID_JSON, RATE_LIMITED
from tests.conftest import ROOT, RunningServer, start_server
from tests.integration.wsclient import Message, run, ws_client

FORBIDDEN = 403
BAD_REQUEST = 400
POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013


async def refused_status(url: str, **options: object) -> int:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, **options):  # type: ignore[arg-type]
            pass
    return refused.value.response.status_code


def test_a_websocket_from_another_site_is_refused_before_accept(server: RunningServer) -> None:
    async def scenario() -> int:
        async with ws_client(server) as bystander:
            await bystander.handshake()
            status = await refused_status(server.ws_url, origin="http://evil.example")
            assert len(await bystander.take(20)) == 20
            return status

    assert run(scenario()) == FORBIDDEN


def test_every_loopback_name_of_the_server_is_an_allowed_origin(server: RunningServer) -> None:
    async def scenario() -> None:
        for name in ("127.0.0.1", "localhost", "[::1]"):
            async with ws_client(server, origin=f"http://{name}:{server.port}") as client:
                await client.handshake()

    run(scenario())


def test_allowed_origin_adds_an_origin() -> None:
    async def scenario(server: RunningServer) -> None:
        async with ws_client(server, origin="https://dash.example:8443") as client:
            await client.handshake()
        assert await refused_status(server.ws_url, origin="https://other.example") == FORBIDDEN

    with start_server("--allowed-origin", "https://dash.example:8443") as server:
        run(scenario(server))


def test_a_host_header_naming_another_host_is_refused(server: RunningServer) -> None:
    # DNS rebinding: a hostile name resolving to 127.0.0.1 still sends its own name as Host.
    response = httpx.get(server.url + "/", headers={"Host": f"rebound.example:{server.port}"})
    assert response.status_code == BAD_REQUEST
    assert httpx.get(server.url + "/healthz").status_code == 200

    upgrade = httpx.get(
        server.url + "/ws",
        headers={
            "Host": f"rebound.example:{server.port}",
            "Origin": f"http://rebound.example:{server.port}",
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version": "13",
        },
    )
    assert upgrade.status_code == BAD_REQUEST


def test_a_control_flood_is_refused_then_closed(server: RunningServer) -> None:
    async def scenario() -> tuple[list[Message], int | None]:
        async with ws_client(server) as client, ws_client(server) as bystander:
            await client.handshake()
            await bystander.handshake()
            for _ in range(30):
                await client.send("x")
            errors: list[Message] = []
            while len(errors) < 30:
                message, _ = await client.until(lambda m: m["type"] == "error")
                errors.append(message)
            for _ in range(60):
                await client.send("x")
            with pytest.raises(ConnectionClosed) as closed:
                await client.until(lambda m: False)
            assert len(await bystander.take(20)) == 20
            return errors, closed.value.rcvd.code if closed.value.rcvd else None

    errors, code = run(scenario())
    codes = [error["code"] for error in errors]
    assert codes[:20] == [INVALID_JSON] * 20
    assert set(codes[20:]) == {RATE_LIMITED}
    assert "20 control messages a second" in errors[-1]["message"]
    assert code == POLICY_VIOLATION


def test_clients_beyond_the_cap_are_refused_with_a_reason_and_the_rest_go_on() -> None:
    async def scenario(server: RunningServer) -> tuple[int | None, str]:
        async with ws_client(server) as first, ws_client(server) as second:
            await first.handshake()
            await second.handshake()
            async with ws_client(server) as third:
                with pytest.raises(ConnectionClosed) as closed:
                    await third.receive()
            assert len(await first.take(10)) == 10
            assert len(await second.take(10)) == 10
            frame = closed.value.rcvd
            return (frame.code, frame.reason) if frame else (None, "")

    with start_server("--max-clients", "2") as server:
        code, reason = run(scenario(server))
    assert code == TRY_AGAIN_LATER
    assert "limit of 2 clients" in reason


def policy_of(url: str) -> dict[str, str]:
    policy = httpx.get(url).headers["content-security-policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def test_pages_carry_a_content_security_policy(server: RunningServer) -> None:
    strict = policy_of(server.url + "/?engine=js")
    assert strict["script-src"] == "'self' 'wasm-unsafe-eval'"
    assert strict["connect-src"] == "'self'"
    assert f"http://localhost:{server.port}" in strict["frame-ancestors"]
    assert "http" not in strict["default-src"]
    assert policy_of(server.url + "/compare")["script-src"] == "'self' 'wasm-unsafe-eval'"
    # PyScript's core builds functions from strings: only its page may evaluate them.
    for engine in ("py", "mpy"):
        python = policy_of(server.url + "/?engine=" + engine)
        assert python["script-src"] == "'self' 'wasm-unsafe-eval' 'unsafe-eval'"
        assert python["connect-src"] == "'self'"
    # A PyScript worker starts from a blob: URL it fetches; only the worker page allows that.
    worker = policy_of(server.url + "/?engine=py-worker")
    assert worker["connect-src"] == "'self' blob:"
    assert worker["script-src"] == "'self' 'wasm-unsafe-eval' 'unsafe-eval'"


def test_bad_command_line_origins_are_one_line_errors() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "server", "--allowed-origin", "not an origin"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
