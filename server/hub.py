"""Encode once, fan out to every client, never wait on one.

Each published message gets the next `seq` and is JSON-encoded exactly once; the encoded frame
is offered to every subscriber's bounded queue (by frames and by bytes). A client that falls
behind is moved to conflated delivery by the tap (server/conflation.py); one whose queue still
overflows is shed in order of what it loses least by: first conflated (only the newest price and
book per symbol are kept), then its trades are dropped, then its oldest frames. Every frame it
loses is counted, and it sees the loss as seq gaps. One still behind after a grace period is
closed with 1013. The producer and the other clients never wait.
"""

import asyncio
import time
from collections import deque
from collections.abc import Callable, Container, Iterable
from itertools import islice
from typing import NamedTuple, Protocol

import orjson

from client.protocol import Message, gap
from server.snapshot import Recorder

DEFAULT_QUEUE_LIMIT = 4096  # frames: about 3 s of the heaviest default stream
DEFAULT_QUEUE_BYTES = 4 * 1024 * 1024
DEFAULT_GRACE_S = 5.0
TRY_AGAIN_LATER = 1013
TRADE_KEY = "trade"  # trades are dropped before anything else that cannot be conflated
RECENT_LIMIT = 20_000  # frames kept for clients that resume: 20 s of 1000 msgs/s


Sink = Callable[[Message, str], None]


class Entry(NamedTuple):
    """One delivered stream message, as a resuming client is sent it again."""

    seq: int
    frame: str
    key: str | None


def encode(message: Message) -> str:
    return orjson.dumps(message).decode()


def shed_key(message: Message) -> str | None:
    """What a queued frame may be conflated or dropped by: price and book frames of a symbol
    replace each other; trades may go; anything else (system, config) stays."""
    kind = message["type"]
    if kind in ("price", "book"):
        return f"{kind}:{message['symbol']}"
    return TRADE_KEY if kind == TRADE_KEY else None


class Subscriber:
    """One client's outbox: a bounded queue of stream frames plus its own direct replies."""

    def __init__(
        self,
        limit: int = DEFAULT_QUEUE_LIMIT,
        byte_limit: int = DEFAULT_QUEUE_BYTES,
        grace_s: float = DEFAULT_GRACE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.byte_limit = byte_limit
        self.grace_s = grace_s
        self.clock = clock
        self.dropped = 0
        self.sent = 0
        self.conflated = 0  # messages left out of its conflated delivery on purpose
        self.queued_bytes = 0
        self.behind_since: float | None = None
        self._waiting_since: float | None = None  # when the oldest queued frame was queued
        # (shed key, frame, messages in it): a batch frame carries many messages.
        self._frames: deque[tuple[str | None, str, int]] = deque()
        self._direct: deque[str] = deque()
        self._ready = asyncio.Event()
        self.closing: tuple[int, str] | None = None  # (code, reason) the writer should close with
        self.evicted = asyncio.Event()  # set when the client was too slow for too long

    def offer(self, frame: str, key: str | None = None, count: int = 1) -> None:
        """Queue a stream frame of `count` messages without ever blocking; shed when over the
        limits. Batch frames (count > 1, key None) cannot be conflated: they go whole, oldest
        first, and every message in them counts as dropped."""
        if not self._frames:
            self._waiting_since = self.clock()
        self._frames.append((key, frame, count))
        self.queued_bytes += len(frame)
        if len(self._frames) > self.limit or self.queued_bytes > self.byte_limit:
            self._shed()
        self._ready.set()

    def _shed(self) -> None:
        now = self.clock()
        if self.behind_since is None:
            self.behind_since = now
        elif now - self.behind_since > self.grace_s and not self.evicted.is_set():
            self.close(TRY_AGAIN_LATER, f"too slow: behind the stream for over {self.grace_s:g} s")
            self.evicted.set()
        self._keep(self._newest_per_key())
        if self._over():
            self._keep(lambda key, _index: key != TRADE_KEY)
        while self._over():
            _, frame, count = self._frames.popleft()
            self._drop(frame, count)

    def _newest_per_key(self) -> Callable[[str | None, int], bool]:
        newest: dict[str, int] = {}
        for index, (key, _, _) in enumerate(self._frames):
            if key is not None and key != TRADE_KEY:
                newest[key] = index
        return lambda key, index: key is None or key == TRADE_KEY or newest[key] == index

    def _keep(self, wanted: Callable[[str | None, int], bool]) -> None:
        kept: deque[tuple[str | None, str, int]] = deque()
        for index, (key, frame, count) in enumerate(self._frames):
            if wanted(key, index):
                kept.append((key, frame, count))
            else:
                self._drop(frame, count)
        self._frames = kept

    def _drop(self, frame: str, count: int) -> None:
        self.dropped += count
        self.queued_bytes -= len(frame)

    def _over(self) -> bool:
        return len(self._frames) > self.limit or self.queued_bytes > self.byte_limit

    def backfill(self, entries: Iterable[Entry]) -> None:
        """Queue frames this client missed (before it joined the live stream)."""
        for entry in entries:
            self.offer(entry.frame, entry.key)

    def discard_frames(self) -> None:
        """Forget the queued stream frames: a snapshot replaces them (counted as dropped)."""
        for _, frame, count in self._frames:
            self._drop(frame, count)
        self._frames.clear()
        self._waiting_since = None

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

    @property
    def frames(self) -> list[str]:
        """The queued stream frames, oldest first (for inspection)."""
        return [frame for _, frame, _ in self._frames]

    async def drain(self) -> list[str]:
        """Wait for frames, then take all of them: direct replies first, in order."""
        return [frame for frame, _ in await self.drain_counted()]

    async def drain_counted(self) -> list[tuple[str, int]]:
        """As drain, with the number of stream messages in each frame (1 for a direct reply)."""
        while not (self._direct or self._frames or self.closing):
            self._ready.clear()
            await self._ready.wait()
        return self.take_counted()

    def take(self) -> list[str]:
        """Take every queued frame now, without waiting: direct replies first, in order."""
        return [frame for frame, _ in self.take_counted()]

    def take_counted(self) -> list[tuple[str, int]]:
        """As take, with the number of stream messages in each frame (1 for a direct reply)."""
        frames = [(frame, 1) for frame in self._direct]
        frames.extend((frame, count) for _, frame, count in self._frames)
        self._direct.clear()
        self._frames.clear()
        self.queued_bytes = 0
        self.behind_since = None  # caught up
        self._waiting_since = None
        return frames

    def outbox_age(self, now: float) -> float:
        """Seconds the oldest queued stream frame has waited for the socket (0: none queued)."""
        return 0.0 if self._waiting_since is None else now - self._waiting_since


class Tap(Protocol):
    """What else the hub hands each frame to once (batching and conflation), and the
    subscribers it then delivers to in the hub's place."""

    @property
    def tapped(self) -> Container[Subscriber]: ...

    def collect(self, frame: str, message: Message, key: str | None) -> None: ...

    def add(self, subscriber: Subscriber) -> None: ...

    def remove(self, subscriber: Subscriber) -> None: ...


class NoTap:
    """A hub without batching: every subscriber gets every frame from the hub itself."""

    tapped: Container[Subscriber] = frozenset()

    def collect(self, frame: str, message: Message, key: str | None) -> None:
        pass

    def add(self, subscriber: Subscriber) -> None:
        pass

    def remove(self, subscriber: Subscriber) -> None:
        pass


class Hub:
    def __init__(
        self,
        recorder: Recorder,
        queue_limit: int = DEFAULT_QUEUE_LIMIT,
        queue_bytes: int = DEFAULT_QUEUE_BYTES,
        grace_s: float = DEFAULT_GRACE_S,
        *,
        tap: Tap | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.recorder = recorder
        self.queue_limit = queue_limit
        self.queue_bytes = queue_bytes
        self.grace_s = grace_s
        self.clock = clock
        self.seq = 0
        self.published = 0
        self.subscribers: set[Subscriber] = set()
        self.recent: deque[Entry] = deque(maxlen=RECENT_LIMIT)
        self.tap: Tap = NoTap() if tap is None else tap
        # Every delivered message and its frame also goes to these (a recording, the history);
        # each only queues, for a thread of its own.
        self.sinks: list[Sink] = []
        self._departed_sent = 0
        self._departed_dropped = 0
        self._departed_conflated = 0
        self.emptied = asyncio.Event()  # set while no client is subscribed
        self.emptied.set()

    def publish(self, message: Message) -> None:
        """The producer's entry: the next seq, one encode, then every client."""
        self.seq += 1
        message["seq"] = self.seq
        self.deliver(message, encode(message))

    def deliver(self, message: Message, frame: str) -> None:
        """Fan out a message that already has its seq and encoded frame (from a broker)."""
        self.seq = message["seq"]
        key = shed_key(message)
        self.recorder.record(message)
        self.recent.append(Entry(self.seq, frame, key))
        self.published += 1
        tapped = self.tap.tapped
        for subscriber in self.subscribers:
            if subscriber not in tapped:
                subscriber.offer(frame, key)
        self.tap.collect(frame, message, key)
        for sink in self.sinks:
            sink(message, frame)

    def subscribe(
        self, backlog: list[Entry] | None = None, notice: Message | None = None
    ) -> Subscriber:
        """Join the stream: the snapshot, then `config`, then every message after the snapshot.

        A resuming client passes the `backlog` it missed instead, and gets no snapshot; one
        that could not resume is sent the `notice` (a gap, an error) before its snapshot.
        """
        subscriber = Subscriber(self.queue_limit, self.queue_bytes, self.grace_s, self.clock)
        if notice is not None:
            subscriber.reply(notice)
        if backlog is None:
            subscriber.reply(self.snapshot())
        subscriber.reply(self.recorder.config)
        if backlog is not None:
            subscriber.backfill(backlog)
        self.subscribers.add(subscriber)
        self.tap.add(subscriber)
        self.emptied.clear()
        return subscriber

    def retained_after(self, seq: int) -> list[Entry] | None:
        """The frames after `seq` still held here, or None when some of them are gone."""
        if seq == self.seq:
            return []
        if not self.recent or not self.recent[0].seq <= seq + 1 <= self.seq:
            return None
        return list(islice(self.recent, seq + 1 - self.recent[0].seq, None))

    def resync(self, snapshot: Message, reason: str) -> None:
        """Jump to a snapshot taken elsewhere after messages were lost: every client is told
        which seqs it missed and gets the snapshot in place of its queued frames."""
        missed_from = self.seq + 1
        self.recorder.load(snapshot)
        self.seq = snapshot["seq"]
        self.recent.clear()
        notice = gap(missed_from, self.seq, reason)
        for subscriber in self.subscribers:
            subscriber.discard_frames()
            subscriber.reply(notice)
            subscriber.reply(self.snapshot())

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber in self.subscribers:
            self.tap.remove(subscriber)
            self.subscribers.discard(subscriber)
            self._departed_sent += subscriber.sent
            self._departed_dropped += subscriber.dropped
            self._departed_conflated += subscriber.conflated
            if not self.subscribers:
                self.emptied.set()

    def close_all(self, code: int, reason: str) -> None:
        for subscriber in self.subscribers:
            subscriber.close(code, reason)

    def snapshot(self) -> Message:
        return self.recorder.snapshot(self.seq)

    def queue_depths(self) -> list[int]:
        """Frames waiting in each client's outbox, right now (read when scraped)."""
        return [subscriber.pending for subscriber in self.subscribers]

    @property
    def sent(self) -> int:
        return self._departed_sent + sum(s.sent for s in self.subscribers)

    @property
    def dropped(self) -> int:
        return self._departed_dropped + sum(s.dropped for s in self.subscribers)

    @property
    def conflated(self) -> int:
        return self._departed_conflated + sum(s.conflated for s in self.subscribers)
