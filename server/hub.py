"""Encode once, fan out to every client, never wait on one.

Each published message gets the next `seq` and is JSON-encoded exactly once; the encoded frame
is offered to every subscriber's bounded queue. A full queue drops its oldest frame and counts
it, so a slow client sees a seq gap while the producer and the other clients go on untouched.
"""

import asyncio
from collections import deque

import orjson

from client.protocol import Message
from server.snapshot import Recorder

DEFAULT_QUEUE_LIMIT = 4096  # frames: about 3 s of the heaviest default stream


def encode(message: Message) -> str:
    return orjson.dumps(message).decode()


class Subscriber:
    """One client's outbox: a bounded queue of stream frames plus its own direct replies."""

    def __init__(self, limit: int = DEFAULT_QUEUE_LIMIT) -> None:
        self.limit = limit
        self.dropped = 0
        self.sent = 0
        self._frames: deque[str] = deque()
        self._direct: deque[str] = deque()
        self._ready = asyncio.Event()
        self.closing: tuple[int, str] | None = None  # (code, reason) the writer should close with

    def offer(self, frame: str) -> None:
        """Queue a stream frame without ever blocking; drop the oldest when full."""
        if len(self._frames) >= self.limit:
            self._frames.popleft()
            self.dropped += 1
        self._frames.append(frame)
        self._ready.set()

    def reply(self, message: Message) -> None:
        """A message for this client alone (snapshot, errors); never dropped."""
        self._direct.append(encode(message))
        self._ready.set()

    def close(self, code: int, reason: str) -> None:
        """Ask the writer to send what is queued, then close with `code`."""
        self.closing = (code, reason)
        self._ready.set()

    @property
    def pending(self) -> int:
        return len(self._frames) + len(self._direct)

    async def drain(self) -> list[str]:
        """Wait for frames, then take all of them: direct replies first, in order."""
        while not (self._direct or self._frames or self.closing):
            self._ready.clear()
            await self._ready.wait()
        frames = list(self._direct)
        frames.extend(self._frames)
        self._direct.clear()
        self._frames.clear()
        return frames


class Hub:
    def __init__(self, recorder: Recorder, queue_limit: int = DEFAULT_QUEUE_LIMIT) -> None:
        self.recorder = recorder
        self.queue_limit = queue_limit
        self.seq = 0
        self.published = 0
        self.subscribers: set[Subscriber] = set()
        self._departed_sent = 0
        self._departed_dropped = 0
        self.emptied = asyncio.Event()  # set while no client is subscribed
        self.emptied.set()

    def publish(self, message: Message) -> None:
        self.seq += 1
        message["seq"] = self.seq
        frame = encode(message)
        self.recorder.record(message)
        self.published += 1
        for subscriber in self.subscribers:
            subscriber.offer(frame)

    def subscribe(self, config: Message) -> Subscriber:
        """Join the stream: the snapshot, then `config`, then every message after the snapshot."""
        subscriber = Subscriber(self.queue_limit)
        subscriber.reply(self.snapshot(config))
        subscriber.reply(config)
        self.subscribers.add(subscriber)
        self.emptied.clear()
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber in self.subscribers:
            self.subscribers.discard(subscriber)
            self._departed_sent += subscriber.sent
            self._departed_dropped += subscriber.dropped
            if not self.subscribers:
                self.emptied.set()

    def close_all(self, code: int, reason: str) -> None:
        for subscriber in self.subscribers:
            subscriber.close(code, reason)

    def snapshot(self, config: Message) -> Message:
        return self.recorder.snapshot(config, self.seq)

    @property
    def sent(self) -> int:
        return self._departed_sent + sum(s.sent for s in self.subscribers)

    @property
    def dropped(self) -> int:
        return self._departed_dropped + sum(s.dropped for s in self.subscribers)
