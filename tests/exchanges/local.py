"""A real local WebSocket (and REST) server that plays an exchange's documented messages from a
fixture file, so the feed adapters are tested against a socket, never against a stand-in object.

A fixture is JSON: {"connections": [[step, ...], ...], "rest": {"PATH?QUERY": [[status, body],
...]}}. Each new connection plays the next list of steps (the last one again once they run out);
each REST path answers with its next response (the last one again). A step is a message to send,
or a directive:
    {"_wait_subscribe": N}  wait until N frames came from the client (its subscriptions)
    {"_sleep": S}           pause S seconds
    {"_raw": "text"}        send this text as it is (not JSON)
    {"_close": CODE}        close the connection
    {"_hold": true}         stay open and silent until the client goes
"""

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from pathlib import Path
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "exchanges"


class LocalExchange:
    def __init__(self, fixture: dict[str, Any]) -> None:
        self.connections: list[list[Any]] = fixture["connections"]
        self.rest: dict[str, list[list[Any]]] = fixture.get("rest", {})
        self.opened = 0
        self.requests: list[str] = []  # the paths each WebSocket and REST request asked for
        self.received: list[str] = []  # frames from the client
        self._rest_served: dict[str, int] = {}
        self.port = 0

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _answer_rest(self, connection: ServerConnection, request: Request) -> Response | None:
        self.requests.append(request.path)
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return None
        answers = self.rest.get(request.path)
        if answers is None:
            status, body = HTTPStatus.NOT_FOUND, {"code": -1, "msg": "no such path"}
        else:
            index = self._rest_served.get(request.path, 0)
            self._rest_served[request.path] = index + 1
            status, body = answers[min(index, len(answers) - 1)]
        data = json.dumps(body).encode()
        headers = Headers(
            [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        )
        return Response(int(status), HTTPStatus(int(status)).phrase, headers, data)

    async def _play(self, connection: ServerConnection) -> None:
        steps = self.connections[min(self.opened, len(self.connections) - 1)]
        self.opened += 1
        received = 0
        for step in steps:
            if isinstance(step, dict) and "_wait_subscribe" in step:
                while received < step["_wait_subscribe"]:
                    self.received.append(str(await connection.recv()))
                    received += 1
            elif isinstance(step, dict) and "_sleep" in step:
                await asyncio.sleep(step["_sleep"])
            elif isinstance(step, dict) and "_raw" in step:
                await connection.send(step["_raw"])
            elif isinstance(step, dict) and "_close" in step:
                await connection.close(step["_close"])
                return
            elif isinstance(step, dict) and "_hold" in step:
                await connection.wait_closed()
                return
            else:
                await connection.send(json.dumps(step))
        await connection.wait_closed()

    async def _serve(self, ready: threading.Event, stop: asyncio.Event) -> None:
        server: Server
        async with serve(self._play, "127.0.0.1", 0, process_request=self._answer_rest) as server:
            self.port = next(iter(server.sockets)).getsockname()[1]
            ready.set()
            await stop.wait()


@contextmanager
def local_exchange(name: str) -> Iterator[LocalExchange]:
    """The fixture `name` (tests/fixtures/exchanges/NAME.json) served on a free port, from a
    thread of its own, for the length of the block."""
    exchange = LocalExchange(json.loads((FIXTURES / f"{name}.json").read_text()))
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop = asyncio.Event()
    thread = threading.Thread(
        target=loop.run_until_complete, args=(exchange._serve(ready, stop),), daemon=True
    )
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("the local exchange did not start")
    try:
        yield exchange
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()
