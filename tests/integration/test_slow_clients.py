"""A client that stops reading costs only itself: the producer and the others never wait."""

import asyncio
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import psutil

from tests.conftest import RunningServer, start_server
from tests.integration.wsclient import run, ws_client

SLOW_GRACE_S = 2.0
WATCH_S = 12.0
RSS_BOUND_MB = 400
TINY_BUFFER = 4096  # bytes: the stalled client's socket fills at once


def metric(server: RunningServer, name: str) -> float:
    text = httpx.get(server.url + "/metrics").text
    found = re.search(rf"^{name} ([0-9.e+]+)$", text, re.M)
    assert found, name
    return float(found.group(1))


@contextmanager
def stalled_client(server: RunningServer) -> Iterator[socket.socket]:
    """A WebSocket client that completes the handshake and then never reads a byte."""
    # A small receive buffer, set before connecting so the window it advertises is small.
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, TINY_BUFFER)
    stalled.connect(("127.0.0.1", server.port))
    stalled.sendall(
        (
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nOrigin: {server.origin}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    assert stalled.recv(len(b"HTTP/1.1 101")) == b"HTTP/1.1 101"
    try:
        yield stalled
    finally:
        stalled.close()


def test_a_client_that_never_reads_is_shed_then_closed_and_nobody_else_notices() -> None:
    async def scenario(server: RunningServer) -> tuple[list[int], float, float]:
        with stalled_client(server):
            async with ws_client(server) as reader:
                await reader.handshake()
                seqs: list[int] = []
                clients_after = 2.0
                deadline = time.monotonic() + WATCH_S
                while time.monotonic() < deadline:
                    seqs.extend(m["seq"] for m in await reader.take(500) if "seq" in m)
                    clients_after = await asyncio.to_thread(metric, server, "tickscope_clients")
                    if clients_after == 1:
                        break
                dropped = await asyncio.to_thread(
                    metric, server, "tickscope_messages_dropped_total"
                )
        return seqs, clients_after, dropped

    args = ("--symbols", "12", "--frequency-ms", "10", "--queue-frames", "500")
    with start_server(*args, "--slow-grace", str(SLOW_GRACE_S)) as server:
        seqs, clients_after, dropped = run(scenario(server))
        rss_mb = psutil.Process(server.process.pid).memory_info().rss / 2**20
        log = server.log()
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "the reading client lost messages"
    assert dropped > 0, "the stalled client was shed"
    assert clients_after == 1, "the stalled client was closed after the grace"
    assert rss_mb < RSS_BOUND_MB
    assert "Traceback" not in log
