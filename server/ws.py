"""/ws: the live stream out, control messages in.

One task sends (the only writer of the socket), the endpoint itself reads; whichever side
ends first ends the other. Bad control input gets an `error` reply and nothing else changes.
"""

import asyncio
import logging

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketDisconnected

from client.protocol import (
    BACKLOG_MS,
    BATCH_MS,
    CONFLATE,
    FIXED_PACE,
    FREQUENCY_MS,
    MARKET,
    RATE_LIMITED,
    RESUME_FROM,
    UNAVAILABLE,
    ControlError,
    Message,
    binary_frame_error,
    error,
    gap,
    parse_control,
    parse_resume,
)
from server.brokers import BrokerUnavailableError
from server.hub import TRY_AGAIN_LATER, Subscriber
from server.limits import ControlBudget
from server.services import Services
from server.sources import FixedPaceError

log = logging.getLogger("tickscope.ws")

POLICY_VIOLATION = 1008
EVICTION_CLOSE_S = 1.0


async def stream(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    origin = websocket.headers.get("origin")
    if origin is not None and origin.lower() not in services.settings.allowed_origins:
        # Closing before accept answers the handshake with 403: a page from another site
        # cannot read this stream or steer the market (cross-site WebSocket hijacking).
        # Browsers always send Origin; programs that send none are not that attack.
        log.warning("refused a WebSocket from origin %r", origin)
        await websocket.close()
        return
    await websocket.accept()
    limit = services.settings.max_clients
    if len(services.hub.subscribers) >= limit:
        await websocket.close(
            TRY_AGAIN_LATER, f"the server is at its limit of {limit} clients; try again later"
        )
        return
    subscriber = await _join(websocket, services)
    if websocket.query_params.get(CONFLATE) == "1":
        services.batching.conflate(subscriber)
    services.ticker.wake()  # its lag is reviewed from now on
    sender = asyncio.create_task(_send_frames(websocket, subscriber))
    reader = asyncio.create_task(_read_controls(websocket, subscriber, services))
    evicted = asyncio.create_task(subscriber.evicted.wait())
    tasks = {sender, reader, evicted}
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if evicted in done and not sender.done():
            # Too slow for too long: the writer gets a moment to send its 1013 close, but a
            # peer that reads nothing leaves it stuck, and then the connection is given up.
            await asyncio.wait({sender}, timeout=EVICTION_CLOSE_S)
            log.warning("closed a client that stayed behind: %s", websocket.client)
    finally:
        services.hub.unsubscribe(subscriber)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _join(websocket: WebSocket, services: Services) -> Subscriber:
    """Subscribe from a snapshot, or, for a client that says the last seq it got
    (`?resume_from=SEQ`), with exactly the messages it missed when they are still retained."""
    hub = services.hub
    try:
        resume_from = parse_resume(websocket.query_params.get(RESUME_FROM))
    except ControlError as refused:
        services.control_errors[refused.code] += 1
        return hub.subscribe(notice=error(refused.code, refused.message))
    market = websocket.query_params.get(MARKET)
    if resume_from is None or (market is not None and market != hub.recorder.config[MARKET]):
        return hub.subscribe()  # a first visit, or a market restarted since: a fresh start
    backlog = await services.broker.replay(resume_from)
    if backlog is not None:
        return hub.subscribe(backlog)
    if resume_from > hub.seq:
        return hub.subscribe()  # not this market's seq: it must have been restarted
    reason = f"seq {resume_from + 1} onwards is no longer retained"
    return hub.subscribe(notice=gap(resume_from + 1, hub.seq, reason))


async def _send_frames(websocket: WebSocket, subscriber: Subscriber) -> None:
    try:
        while True:
            for frame, count in await subscriber.drain_counted():
                await websocket.send_text(frame)
                subscriber.sent += count
            if subscriber.closing:
                await websocket.close(*subscriber.closing)
                return
    except (WebSocketDisconnect, WebSocketDisconnected):
        pass  # the reader sees the disconnect too and ends the endpoint


async def _read_controls(websocket: WebSocket, subscriber: Subscriber, services: Services) -> None:
    budget = ControlBudget()
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        verdict = budget.spend()
        if verdict == ControlBudget.EXCEEDED:
            await websocket.close(POLICY_VIOLATION, "too many control messages")
            return
        try:
            if verdict == ControlBudget.REFUSED:
                raise ControlError(
                    RATE_LIMITED,
                    f"at most {budget.rate:g} control messages a second; this one was ignored",
                )
            if message.get("text") is None:
                raise binary_frame_error()
            control = parse_control(message["text"])
        except ControlError as refused:
            services.control_errors[refused.code] += 1
            subscriber.reply(error(refused.code, refused.message))
            continue
        await _apply_control(control, subscriber, services)


async def _apply_control(control: Message, subscriber: Subscriber, services: Services) -> None:
    batching = services.batching
    if BACKLOG_MS in control:
        batching.report_backlog(subscriber, control[BACKLOG_MS])
    if BATCH_MS in control:
        subscriber.reply(batching.set(subscriber, control[BATCH_MS]))
        services.ticker.wake()
    if FREQUENCY_MS in control:
        try:
            await services.broker.set_frequency(control[FREQUENCY_MS])
        except BrokerUnavailableError as unavailable:
            subscriber.reply(error(UNAVAILABLE, f"{unavailable}; try again shortly"))
            return
        except FixedPaceError as fixed:
            subscriber.reply(error(FIXED_PACE, str(fixed)))
            return
        log.info("frequency %d ms asked for", control[FREQUENCY_MS])
