"""Conflated delivery: what a client that cannot keep up gets instead of every message.

Per interval, the newest `price` and `book` of each symbol, the newest `system`, the first
TRADE_CAP trades, and every other message whole: the latest value of each instrument rather
than its history, as Lightstreamer's MERGE mode and the exchanges' conflated feeds deliver it.
Each interval goes out behind one `conflated` notice naming the seqs it stands for and how many
of them it skipped, so a client counts those as skipped on purpose, not lost. The group's frames
are built once per interval and offered to every member: a batched member gets one array frame,
an unbatched one the notice and the kept frames one by one (they were encoded once already).

`LagState` decides who is conflated: a client whose backlog report, or whose outbox's oldest
frame, is more than ENTER_MS behind goes in, on the longest interval. It climbs back through
shorter intervals to full delivery, a rung per hold while it lags less than LEAVE_MS; lagging on
the way steps it back down and doubles its hold. So a device that cannot take the full stream
settles on the most it can take, and a failed step up costs it little, not seconds of backlog.

Pure: no I/O, no tasks, the time passed in.
"""

import math
from collections.abc import Iterable
from typing import Generic, Protocol, TypeVar

from client.protocol import BOOK, PRICE, SYSTEM, TRADE, Message, conflated
from server.hub import encode

# The ladder's intervals, longest first: ten updates a second per instrument on the first
# rung, current and cheap to draw; each divides the one before, so boundaries line up.
CONFLATE_LEVELS_MS = (100, 50, 25)
CONFLATE_INTERVAL_MS = CONFLATE_LEVELS_MS[0]
TRADE_CAP = 10  # trades kept per interval; the tape shows the market's pace, not every print
ENTER_MS = 250.0  # a client this far behind the stream is conflated
LEAVE_MS = 100.0  # ...and returns to every message once it lags less than this
HOLD_S = 3.0  # the shortest stay: a backlog report covers a second of the past
MAX_HOLD_S = 24.0
REENTRY_S = 10.0  # falling behind again this soon after leaving doubles the hold
# Just after a step up (or back to full), lagging past this already means the step was too
# much: caught early, a failed step leaves less of a backlog to drain.
PROBE_FAIL_MS = 150.0
REPORT_FRESH_S = 2.5  # a backlog report older than this (reports come every second) is stale


class Outbox(Protocol):
    """What conflation needs of a client: somewhere to queue frames, and its tally."""

    conflated: int

    def offer(self, frame: str, key: str | None = None, count: int = 1) -> None: ...


Member = TypeVar("Member", bound=Outbox)


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
    """The conflated clients on one interval. Its boundaries fall on whole multiples of the
    interval from a shared epoch, so every longer interval's boundary is also one of each
    shorter interval's (the levels divide each other): a client moves between two intervals
    at a boundary both groups share, and misses or repeats nothing."""

    def __init__(self, interval_ms: int, epoch: float, now: float) -> None:
        self.interval_ms = interval_ms
        self.epoch = epoch
        self.members: dict[Member, bool] = {}  # member: whether it takes batch (array) frames
        self.kept = Kept()
        self.due = self.next_boundary(now)

    def next_boundary(self, now: float) -> float:
        """The first boundary after `now`, as a whole multiple of the interval (in ms, so two
        groups compute a shared boundary as the same float)."""
        index = math.floor((now - self.epoch) * 1000.0 / self.interval_ms) + 1
        return self.epoch + index * self.interval_ms / 1000.0

    def collect(self, frame: str, message: Message, key: str | None) -> None:
        if self.members and "seq" in message:
            self.kept.add(frame, message, key)

    def flush(self, now: float) -> None:
        """Send this interval's kept frames to every member; start the next interval."""
        kept, self.kept = self.kept, Kept()
        self.due = self.next_boundary(now)
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


class Conflation(Generic[Member]):
    """Every conflated client, a group per interval, and the moves waiting for a boundary.

    A move to interval `target` (0: back to full delivery) waits until both its current group
    and its target group have just flushed, or do not exist: then nothing collected for one is
    owed by the other.
    """

    def __init__(self, epoch: float) -> None:
        self.epoch = epoch
        self.groups: dict[int, ConflationGroup[Member]] = {}
        self.interval_of: dict[Member, int] = {}
        self.moves: dict[Member, int] = {}

    def collect(self, frame: str, message: Message, key: str | None) -> None:
        for group in self.groups.values():
            group.collect(frame, message, key)

    def flush_due(self, now: float) -> set[int]:
        """Flush the groups that are due; the intervals flushed."""
        flushed = set()
        for interval, group in self.groups.items():
            if now >= group.due:
                group.flush(now)
                flushed.add(interval)
        return flushed

    def next_due(self) -> float | None:
        return min((group.due for group in self.groups.values()), default=None)

    def ready(self, flushed: set[int]) -> list[tuple[Member, int]]:
        """The waiting moves that can be made now, taken off the waiting list."""
        done = [
            (member, target)
            for member, target in self.moves.items()
            if self._at_boundary(self.interval_of.get(member, 0), flushed)
            and self._at_boundary(target, flushed)
        ]
        for member, _ in done:
            del self.moves[member]
        return done

    def _at_boundary(self, interval: int, flushed: set[int]) -> bool:
        return interval == 0 or interval not in self.groups or interval in flushed

    def place(self, member: Member, target: int, batched: bool, now: float) -> None:
        """Move `member` to the group of `target` (0: out of conflation)."""
        self.remove(member)
        if target == 0:
            return
        group = self.groups.get(target)
        if group is None:
            group = self.groups[target] = ConflationGroup(target, self.epoch, now)
        group.members[member] = batched
        self.interval_of[member] = target

    def remove(self, member: Member) -> None:
        group = self.groups.get(self.interval_of.pop(member, 0))
        if group is not None:
            group.members.pop(member, None)
            if not group.members:
                del self.groups[group.interval_ms]

    def set_batched(self, member: Member, batched: bool) -> None:
        group = self.groups.get(self.interval_of.get(member, 0))
        if group is not None:
            group.members[member] = batched

    def __len__(self) -> int:
        return len(self.interval_of)


class LagState:
    """How far behind one client is, by its own word and by its outbox, and on which rung of
    the conflation ladder it is (None: full delivery).

    In: lagging past ENTER_MS puts it on the first rung, the longest interval. Out: after its
    hold, lagging less than LEAVE_MS takes it one rung up (a shorter interval, more of the
    stream), and past the last rung back to every message. Lagging again on the way up takes it
    one rung down and doubles its hold, as does falling behind soon after leaving.
    """

    def __init__(self) -> None:
        self.backlog_ms = 0.0
        self.reported_at = float("-inf")
        self.level: int | None = None
        self.until = 0.0  # on this rung at least until then
        self.hold_s = HOLD_S
        self.left_at = float("-inf")
        self.stepped_at = float("-inf")  # the last step up (or back to full)
        self.lag_at_switch_ms = 0.0

    @property
    def conflated(self) -> bool:
        return self.level is not None

    def report(self, backlog_ms: float, now: float) -> None:
        self.backlog_ms = backlog_ms
        self.reported_at = now

    def lag_ms(self, outbox_age_s: float, now: float) -> float:
        reported = self.backlog_ms if now - self.reported_at <= REPORT_FRESH_S else 0.0
        return max(reported, outbox_age_s * 1000.0)

    def decide(self, lag_ms: float, now: float) -> int | None:
        """The interval to move to (0: full delivery), or None to stay."""
        level = self.level
        limit = PROBE_FAIL_MS if now - self.stepped_at < HOLD_S else ENTER_MS
        if level is None:
            if lag_ms <= limit:
                return None
            # On the first rung, the one that drains a backlog fastest.
            recent = now - self.left_at < REENTRY_S
            return self._hold(now, self._doubled() if recent else HOLD_S, 0, lag_ms)
        if lag_ms > limit and level > 0:
            return self._hold(now, self._doubled(), level - 1, lag_ms)
        if now < self.until or lag_ms >= LEAVE_MS:
            return None
        self.stepped_at = now
        if level == len(CONFLATE_LEVELS_MS) - 1:
            self.level = None
            self.left_at = now
            return 0
        self.level = level + 1
        self.until = now + self.hold_s  # after a failed step, every rung is held longer
        return CONFLATE_LEVELS_MS[level + 1]

    def _doubled(self) -> float:
        return min(self.hold_s * 2, MAX_HOLD_S)

    def start(self, now: float, hold_s: float) -> int:
        """On the first rung for `hold_s`, whatever the lag: the client asked."""
        return self._hold(now, hold_s, 0, 0.0)

    def _hold(self, now: float, hold_s: float, level: int, lag_ms: float) -> int:
        """On rung `level` for `hold_s`; its interval."""
        self.hold_s = hold_s
        self.level = level
        self.until = now + hold_s
        self.lag_at_switch_ms = lag_ms
        self.backlog_ms = 0.0  # reports from before the switch say nothing of what follows
        return CONFLATE_LEVELS_MS[level]
