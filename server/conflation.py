"""Conflated delivery: what a client that cannot keep up gets instead of every message.

Per interval, the newest `price` and `book` of each symbol, the newest `system`, the first
TRADE_CAP trades, and every other message whole: the latest value of each instrument rather
than its history, as Lightstreamer's MERGE mode and the exchanges' conflated feeds deliver it.
Each interval goes out behind one `conflated` notice naming the seqs it stands for and how many
of them it skipped, so a client counts those as skipped on purpose, not lost. The group's frames
are built once per interval and offered to every member: a batched member gets one array frame,
an unbatched one the notice and the kept frames one by one (they were encoded once already).

`LagState` decides who is conflated: a client whose backlog report, or whose outbox's oldest
frame, is more than ENTER_MS behind goes in; it comes back to full delivery once it has stayed
in for its hold and lags less than LEAVE_MS. A client that falls behind again soon after coming
back is held twice as long, so a device that cannot take the full stream does not flap.

Pure: no I/O, no tasks, the time passed in.
"""

from collections.abc import Iterable
from typing import Generic, Protocol, TypeVar

import orjson

from client.protocol import BOOK, PRICE, SYSTEM, TRADE, Message, conflated

CONFLATE_INTERVAL_MS = 100  # ten updates a second per instrument: current, and cheap to draw
TRADE_CAP = 10  # trades kept per interval; the tape shows the market's pace, not every print
ENTER_MS = 250.0  # a client this far behind the stream is conflated
LEAVE_MS = 100.0  # ...and returns to every message once it lags less than this
HOLD_S = 3.0  # the shortest stay: a backlog report covers a second of the past
MAX_HOLD_S = 24.0
REENTRY_S = 10.0  # falling behind again this soon after leaving doubles the hold
REPORT_FRESH_S = 2.5  # a backlog report older than this (reports come every second) is stale


class Outbox(Protocol):
    """What conflation needs of a client: somewhere to queue frames, and its tally."""

    conflated: int

    def offer(self, frame: str, key: str | None = None, count: int = 1) -> None: ...


Member = TypeVar("Member", bound=Outbox)


def encode(message: Message) -> str:
    return orjson.dumps(message).decode()


class Kept:
    """What one interval keeps: the newest frame per instrument, the first trades, the rest."""

    def __init__(self) -> None:
        self.latest: dict[str, tuple[int, str, str | None]] = {}  # key: (seq, frame, shed key)
        self.others: list[tuple[int, str, str | None]] = []
        self.trades = 0
        self.first = 0
        self.last = 0
        self.count = 0

    def add(self, frame: str, message: Message, key: str | None) -> None:
        seq: int = message["seq"]
        if not self.count:
            self.first = seq
        self.last = seq
        self.count += 1
        kind = message["type"]
        if kind in (PRICE, BOOK):
            self.latest[f"{kind}:{message['symbol']}"] = (seq, frame, key)
        elif kind == SYSTEM:
            self.latest[SYSTEM] = (seq, frame, key)
        elif kind != TRADE:
            self.others.append((seq, frame, key))
        elif self.trades < TRADE_CAP:
            self.trades += 1
            self.others.append((seq, frame, key))

    def frames(self) -> list[tuple[int, str, str | None]]:
        """The kept frames in seq order."""
        return sorted([*self.latest.values(), *self.others])


class ConflationGroup(Generic[Member]):
    """Every conflated client, on one shared interval."""

    def __init__(self, now: float, interval_ms: int = CONFLATE_INTERVAL_MS) -> None:
        self.interval_ms = interval_ms
        self.members: dict[Member, bool] = {}  # member: whether it takes batch (array) frames
        self.kept = Kept()
        self.due = now + self.period

    @property
    def period(self) -> float:
        return self.interval_ms / 1000.0

    def collect(self, frame: str, message: Message, key: str | None) -> None:
        if self.members and "seq" in message:
            self.kept.add(frame, message, key)

    def restart(self, now: float) -> None:
        """Start an interval now, with nothing kept."""
        self.kept = Kept()
        self.due = now + self.period

    def flush(self, now: float) -> None:
        """Send this interval's kept frames to every member; start the next interval."""
        kept = self.kept
        self.restart(now)
        if not kept.count:
            return
        frames = kept.frames()
        skipped = kept.count - len(frames)
        notice = encode(conflated(kept.first, kept.last, skipped, self.interval_ms))
        joined: str | None = None
        for member, batched in self.members.items():
            member.conflated += skipped
            if batched:
                if joined is None:
                    joined = "[" + ",".join([notice, *(frame for _, frame, _ in frames)]) + "]"
                member.offer(joined, None, len(frames))
            else:
                offer_each(member, notice, frames)


def offer_each(member: Outbox, notice: str, frames: Iterable[tuple[int, str, str | None]]) -> None:
    member.offer(notice, None, 0)
    for _, frame, key in frames:
        member.offer(frame, key)


class LagState:
    """How far behind one client is, by its own word and by its outbox, and whether it is
    conflated."""

    def __init__(self) -> None:
        self.backlog_ms = 0.0
        self.reported_at = float("-inf")
        self.conflated = False
        self.until = 0.0  # conflated at least until then
        self.hold_s = HOLD_S
        self.left_at = float("-inf")

    def report(self, backlog_ms: float, now: float) -> None:
        self.backlog_ms = backlog_ms
        self.reported_at = now

    def lag_ms(self, outbox_age_s: float, now: float) -> float:
        reported = self.backlog_ms if now - self.reported_at <= REPORT_FRESH_S else 0.0
        return max(reported, outbox_age_s * 1000.0)

    def should_enter(self, lag_ms: float) -> bool:
        return not self.conflated and lag_ms > ENTER_MS

    def should_leave(self, lag_ms: float, now: float) -> bool:
        return self.conflated and now >= self.until and lag_ms < LEAVE_MS

    def enter(self, now: float, hold_s: float | None = None) -> None:
        """Conflated for `hold_s`, or by how recently it last left."""
        recent = now - self.left_at < REENTRY_S
        if hold_s is not None:
            self.hold_s = hold_s
        else:
            self.hold_s = min(self.hold_s * 2, MAX_HOLD_S) if recent else HOLD_S
        self.conflated = True
        self.until = now + self.hold_s
        self.backlog_ms = 0.0  # reports from before the switch say nothing of what follows

    def leave(self, now: float) -> None:
        self.conflated = False
        self.left_at = now
