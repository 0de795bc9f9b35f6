"""replay://PATH?speed=1|10|max&loop=1: a recording (--record) played back in its order, with
its inter-arrival times divided by `speed` (`max`: as fast as the hub takes it).

The stream messages (price, trade, book) are replayed; the system stream stays this server's
own. Each replayed message is stamped with the time it is sent again, so latency is measured
on the replay as on a live market; seq is the hub's, as always. A damaged recording plays up to
the damage, and the log says where it stopped.
"""

import asyncio
import logging
import math
import time
from pathlib import Path

from client.protocol import STREAM_TYPES, SYSTEM, Message
from server.recording import Recording, RecordingError
from server.settings import Settings
from server.sources import REPLAY, Emit, Source, SourceError, now_us, split_url

MAX_SPEED = "max"
SPEED = "speed"
LOOP = "loop"
OPTIONS = (SPEED, LOOP)
REPLAYED = frozenset(STREAM_TYPES) - {SYSTEM}
MAX_BURST = 512  # messages per emit at speed=max, between which the event loop gets a turn
US = 1_000_000
log = logging.getLogger("tickscope.replay")


def parse_speed(text: str) -> float:
    if text == MAX_SPEED:
        return math.inf
    try:
        speed = float(text)
    except ValueError:
        speed = math.nan
    if not 0 < speed < math.inf:
        raise ValueError(f"speed must be a positive number or {MAX_SPEED}, got {text!r}")
    return speed


class ReplaySource(Source):
    scheme = REPLAY

    def __init__(self, url: str, settings: Settings) -> None:
        super().__init__(url, settings)
        _, target, fields = split_url(url)
        unknown = set(fields) - set(OPTIONS)
        if unknown:
            raise ValueError(f"replay:// has no option {', '.join(sorted(unknown))}; use {OPTIONS}")
        if not target:
            raise ValueError("replay:// needs a path: replay://DIR or replay:///absolute/DIR")
        self.speed = parse_speed(fields.get(SPEED, "1"))
        if fields.get(LOOP, "0") not in ("0", "1"):
            raise ValueError(f"loop must be 0 or 1, got {fields[LOOP]!r}")
        self.loop = fields.get(LOOP) == "1"
        try:
            self.recording = Recording(Path(target))
        except RecordingError as unreadable:
            raise SourceError(str(unreadable)) from unreadable
        self.frequency_ms = self.recording.header.config.get("frequency_ms", self.frequency_ms)
        self.replayed = 0

    @property
    def symbols(self) -> list[str]:
        return self.recording.header.symbols

    async def run(self, emit: Emit) -> None:
        while True:
            await self._play_once(emit)
            if self.recording.damage is not None:
                log.error("%s; replayed up to there", self.recording.damage)
            if not self.loop:
                log.info("replay of %s ended: %d messages", self.recording.path, self.replayed)
                return

    async def _play_once(self, emit: Emit) -> None:
        session = None
        first_arrival = 0
        started = 0.0
        pending: list[Message] = []
        for header, arrival, message in self.recording.records():
            if message.get("type") not in REPLAYED:
                continue
            if header.session != session:  # a new session's clock starts afresh
                session, first_arrival, started = header.session, arrival, time.monotonic()
            if self.speed != math.inf:
                due = started + (arrival - first_arrival) / US / self.speed
                if due > time.monotonic():
                    await self._send(emit, pending)
                    await asyncio.sleep(due - time.monotonic())
            message.pop("seq", None)
            pending.append(message)
            if len(pending) >= MAX_BURST:
                await self._send(emit, pending)
                await asyncio.sleep(0)
        await self._send(emit, pending)

    async def _send(self, emit: Emit, pending: list[Message]) -> None:
        if not pending:
            return
        ts = now_us()
        for message in pending:
            message["ts"] = ts
        batch = pending.copy()
        pending.clear()
        self.replayed += len(batch)
        await emit(batch)
