"""/ws: the live stream out, control messages in.

One task sends (the only writer of the socket), the endpoint itself reads; whichever side
ends first ends the other. Bad control input gets an `error` reply and nothing else changes.
"""

import asyncio
import logging

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketDisconnected

from client.protocol import FREQUENCY_MS, ControlError, binary_frame_error, error, parse_control
from server.hub import Subscriber
from server.services import Services

log = logging.getLogger("tickscope.ws")


async def stream(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    await websocket.accept()
    subscriber = services.hub.subscribe(services.feed.config())
    sender = asyncio.create_task(_send_frames(websocket, subscriber))
    try:
        await _read_controls(websocket, subscriber, services)
    finally:
        services.hub.unsubscribe(subscriber)
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)


async def _send_frames(websocket: WebSocket, subscriber: Subscriber) -> None:
    try:
        while True:
            for frame in await subscriber.drain():
                await websocket.send_text(frame)
                subscriber.sent += 1
    except (WebSocketDisconnect, WebSocketDisconnected):
        pass  # the reader sees the disconnect too and ends the endpoint


async def _read_controls(websocket: WebSocket, subscriber: Subscriber, services: Services) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        try:
            if message.get("text") is None:
                raise binary_frame_error()
            control = parse_control(message["text"])
        except ControlError as refused:
            services.control_errors[refused.code] += 1
            subscriber.reply(error(refused.code, refused.message))
            continue
        services.feed.set_frequency(control[FREQUENCY_MS])
        log.info("frequency set to %d ms by %s", control[FREQUENCY_MS], websocket.client)
