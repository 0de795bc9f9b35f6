"""A real WebSocket client for the tests: the page's Origin, JSON frames, waits on messages."""

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import RunningServer

RECEIVE_TIMEOUT_S = 10.0
MAX_FRAME = 64 * 1024 * 1024  # snapshots of many symbols are large

Message = dict[str, Any]
T = TypeVar("T")


def run(scenario: Coroutine[Any, Any, T]) -> T:
    """asyncio.run, also from a test session where Playwright's sync API holds the main
    thread's event loop: then the scenario gets a thread (and a loop) of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(scenario)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, scenario).result()


class Client:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    async def receive(self, timeout: float = RECEIVE_TIMEOUT_S) -> Message:
        frame = await asyncio.wait_for(self.connection.recv(), timeout)
        assert isinstance(frame, str), "the server sends text frames only"
        message: Message = json.loads(frame)
        return message

    async def until(
        self, accept: Callable[[Message], bool], timeout: float = RECEIVE_TIMEOUT_S
    ) -> tuple[Message, list[Message]]:
        """Read until a message satisfies `accept`; return it and everything read before it."""
        before: list[Message] = []
        async with asyncio.timeout(timeout):
            while True:
                message = await self.receive(timeout)
                if accept(message):
                    return message, before
                before.append(message)

    async def until_type(self, kind: str, timeout: float = RECEIVE_TIMEOUT_S) -> Message:
        message, _ = await self.until(lambda m: m["type"] == kind, timeout)
        return message

    async def take(self, count: int) -> list[Message]:
        return [await self.receive() for _ in range(count)]

    async def collect_for(self, seconds: float) -> list[Message]:
        messages: list[Message] = []
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while (left := end - loop.time()) > 0:
            try:
                messages.append(await self.receive(left))
            except TimeoutError:
                break
        return messages

    async def send(self, payload: object) -> None:
        await self.connection.send(
            payload if isinstance(payload, str | bytes) else json.dumps(payload)
        )

    async def handshake(self) -> tuple[Message, Message]:
        """The first two frames of every connection: snapshot, then config."""
        snapshot = await self.receive()
        config = await self.receive()
        assert snapshot["type"] == "snapshot", snapshot["type"]
        assert config["type"] == "config", config["type"]
        return snapshot, config


@asynccontextmanager
async def ws_client(
    server: RunningServer, origin: str | None = None, query: str = ""
) -> AsyncIterator[Client]:
    async with connect(
        server.ws_url + query,
        origin=origin or server.origin,  # type: ignore[arg-type]
        max_size=MAX_FRAME,
        compression=None,
        # Unbounded: with the default (16) an unread client stops reading its socket and then
        # cannot see the server's close frame, stalling every close for close_timeout (10 s).
        max_queue=None,
    ) as connection:
        yield Client(connection)
