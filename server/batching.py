"""Batched frames: one WebSocket frame per interval holding every message of that interval.

Subscribers that asked for the same interval form a group. Each group collects the encoded
frames the hub fans out and, once per interval, joins them into one JSON array
("[" + ",".join(frames) + "]"), built once and offered to every member: encoded once per batch
per distinct batch setting. Messages keep their own seq, so a client sees losses as seq gaps.

`auto` moves a subscriber between a few shared intervals (AUTO_LEVELS_MS): none while the stream
is light, longer ones as the published rate grows, and one more step while the client reports
that it is behind (its `backlog_ms`); so auto clients share groups too.

A client that lags further (conflation.ENTER_MS, by its backlog report or by its outbox's
oldest frame) is moved to conflated delivery, whatever its setting, and back once it keeps up
(server/conflation.py). It moves at an interval boundary, so it misses nothing on the way:
until then it gets what it got before.
"""

import time
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from client.protocol import (
    AUTO,
    BATCH,
    BATCH_MS,
    CONFLATED_MODE,
    FULL_MODE,
    INTERVAL_MS,
    Message,
    delivery,
)
from server.conflation import MAX_HOLD_S, Conflation, LagState
from server.hub import encode

AUTO_LEVELS_MS = (0, 4, 8, 16)  # 16 ms: one frame per animation frame at 60 Hz
# Published msgs/s from which auto uses AUTO_LEVELS_MS[i + 1]: below the first, one message a
# frame is cheap enough; above the last, a frame per animation frame is as few as is useful.
AUTO_RATE_STEPS = (250.0, 1000.0, 4000.0)
AUTO_BEHIND_MS = 40.0  # a client reporting a backlog above this gets one more step
AUTO_HOLD_S = 2.0  # a step taken for a backlog is kept at least this long
AUTO_REVIEW_S = 0.25  # how often auto reconsiders its intervals


class Outbox(Protocol):
    """What batching needs of a client: somewhere to queue a batch frame and a reply, how
    long its oldest queued frame has waited, and its tally of conflated messages."""

    conflated: int

    def offer(self, frame: str, key: str | None = None, count: int = 1) -> None: ...

    def reply(self, message: Message) -> None: ...

    def outbox_age(self, now: float) -> float: ...


Member = TypeVar("Member", bound=Outbox)


def batch_reply(setting: int | str, interval_ms: int) -> Message:
    """The ack of a batch control, and the news of an auto step: the page shows the mode."""
    return {"type": BATCH, BATCH_MS: setting, INTERVAL_MS: interval_ms}


class Group(Generic[Member]):
    """The subscribers on one interval and the frames collected for them since the last flush."""

    def __init__(self, interval_ms: int, now: float) -> None:
        self.interval_ms = interval_ms
        self.members: set[Member] = set()
        self.frames: list[str] = []
        # Members that joined mid-interval: frames before this index reached them another way.
        self.joined_at: dict[Member, int] = {}
        self.due = now + self.period

    @property
    def period(self) -> float:
        return self.interval_ms / 1000.0

    def flush(self) -> None:
        frames, self.frames = self.frames, []
        joined_at, self.joined_at = self.joined_at, {}
        if not frames:
            return
        shared = join(frames)
        for member in self.members:
            start = joined_at.get(member, 0)
            if start == 0:
                member.offer(shared, None, len(frames))
            elif start < len(frames):
                member.offer(join(frames[start:]), None, len(frames) - start)

    def pending_for(self, member: Member) -> list[str]:
        return self.frames[self.joined_at.get(member, 0) :]


def join(frames: list[str]) -> str:
    return "[" + ",".join(frames) + "]"


class AutoState:
    """What auto knows of one subscriber: its backlog report and when it last stepped up."""

    def __init__(self) -> None:
        self.backlog_ms = 0.0
        self.raised_until = 0.0


class Batching(Generic[Member]):
    """Every group, keyed by interval, which interval each batched subscriber is on, and who
    is conflated.

    No I/O and no tasks: whoever owns the event loop calls `tick(now)` by the deadline it
    returns, and the frames due by then are flushed and auto and lag reviewed.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.groups: dict[int, Group[Member]] = {}
        self.intervals: dict[Member, int] = {}  # only subscribers that are batched
        self.settings: dict[Member, int | str] = {}
        self.auto: dict[Member, AutoState] = {}
        self.lag: dict[Member, LagState] = {}  # every subscriber
        self.clock = clock
        self.conflation: Conflation[Member] = Conflation(clock())
        # Whom the hub leaves to this tap: the batched and the conflated.
        self.tapped: set[Member] = set()
        self.seen = 0  # frames collected since start: auto's view of the published rate
        self.rate = 0.0
        self._rate_mark = (clock(), 0)
        self._review_due: float | None = None  # while anyone is subscribed

    # -- the hot path ------------------------------------------------------------------------

    def collect(self, frame: str, message: Message, key: str | None) -> None:
        self.seen += 1
        for group in self.groups.values():
            group.frames.append(frame)
        self.conflation.collect(frame, message, key)

    # -- time --------------------------------------------------------------------------------

    def tick(self, now: float) -> float | None:
        """Flush every group that is due and review if due; the next deadline, if any."""
        for group in list(self.groups.values()):
            if now >= group.due:
                group.flush()
                group.due = now + group.period
        flushed = self.conflation.flush_due(now)
        for subscriber, target in self.conflation.ready(flushed):
            self._switch(subscriber, target, now)
        if self._review_due is not None and now >= self._review_due:
            self.review(now)
            self._review_due = now + AUTO_REVIEW_S
        return self.next_due()

    def next_due(self) -> float | None:
        deadlines = [group.due for group in self.groups.values()]
        conflation_due = self.conflation.next_due()
        if conflation_due is not None:
            deadlines.append(conflation_due)
        if self._review_due is not None:
            deadlines.append(self._review_due)
        return min(deadlines, default=None)

    # -- settings ----------------------------------------------------------------------------

    def interval_of(self, subscriber: Member) -> int:
        return self.intervals.get(subscriber, 0)

    def add(self, subscriber: Member) -> None:
        """A new subscriber: watched for lag from now on."""
        self.lag[subscriber] = LagState()
        self._start_reviews(self.clock())

    def _start_reviews(self, now: float) -> None:
        if self._review_due is None:
            self._rate_mark = (now, self.seen)
            self._review_due = now + AUTO_REVIEW_S

    def set(self, subscriber: Member, setting: int | str) -> Message:
        """Apply a client's batch control; returns the reply to send it."""
        self.settings[subscriber] = setting
        now = self.clock()
        if setting == AUTO:
            self.auto.setdefault(subscriber, AutoState())
            self._start_reviews(now)
            interval = self._auto_level(subscriber, now)
        else:
            self.auto.pop(subscriber, None)
            interval = int(setting)
        if self._is_conflated(subscriber):
            self.conflation.set_batched(subscriber, setting != 0)  # its batching: on leaving
        else:
            self._move(subscriber, interval, now)
        return batch_reply(setting, interval)

    def report_backlog(self, subscriber: Member, backlog_ms: int) -> None:
        lag = self.lag.get(subscriber)
        if lag is not None:
            lag.report(float(backlog_ms), self.clock())
        state = self.auto.get(subscriber)
        if state is not None:
            state.backlog_ms = float(backlog_ms)

    def remove(self, subscriber: Member) -> None:
        self._leave(subscriber)
        self.conflation.remove(subscriber)
        self.conflation.moves.pop(subscriber, None)
        self.tapped.discard(subscriber)
        self.settings.pop(subscriber, None)
        self.auto.pop(subscriber, None)
        self.lag.pop(subscriber, None)
        if not (self.lag or self.auto):
            self._review_due = None

    @property
    def conflated_count(self) -> int:
        """Subscribers on conflated delivery now."""
        return len(self.conflation)

    # -- moving between groups ---------------------------------------------------------------

    def _move(self, subscriber: Member, interval: int, now: float) -> None:
        if interval == self.interval_of(subscriber):
            return
        self._leave(subscriber)
        if interval == 0:
            return
        self.intervals[subscriber] = interval
        self.tapped.add(subscriber)
        group = self.groups.get(interval)
        if group is None:
            group = self.groups[interval] = Group(interval, now)
        group.members.add(subscriber)
        if group.frames:
            group.joined_at[subscriber] = len(group.frames)

    def _leave(self, subscriber: Member) -> None:
        """Out of its group, with what that group collected for it so far: nothing is lost."""
        group = self.groups.get(self.intervals.pop(subscriber, 0))
        self.tapped.discard(subscriber)
        if group is None or subscriber not in group.members:
            return
        pending = group.pending_for(subscriber)
        if pending:
            subscriber.offer(join(pending), None, len(pending))
        group.members.discard(subscriber)
        group.joined_at.pop(subscriber, None)
        if not group.members:
            del self.groups[group.interval_ms]

    # -- conflation --------------------------------------------------------------------------

    def conflate(self, subscriber: Member) -> None:
        """Conflated from the start, held on the first rung for the longest hold: the client
        asked, having been hopelessly behind on its last connection."""
        now = self.clock()
        self._request(subscriber, self.lag[subscriber].start(now, MAX_HOLD_S), now)

    def _request(self, subscriber: Member, target: int, now: float) -> None:
        """Move to `target` (0: full delivery) at the next boundary it shares with where the
        subscriber is; at once when nothing is collected for either yet."""
        self.conflation.moves[subscriber] = target
        for ready, to in self.conflation.ready(set()):
            self._switch(ready, to, now)

    def _switch(self, subscriber: Member, target: int, now: float) -> None:
        if not self._is_conflated(subscriber):
            self._leave(subscriber)  # what its batch group holds for it, first
        batched = self.settings.get(subscriber, 0) != 0
        self.conflation.place(subscriber, target, batched, now)
        if target:
            self.tapped.add(subscriber)
            lag_ms = int(self.lag[subscriber].lag_at_switch_ms)
            notice = delivery(CONFLATED_MODE, target, lag_ms)
        else:
            self.tapped.discard(subscriber)
            interval = self._setting_interval(subscriber, now)
            self._move(subscriber, interval, now)
            if subscriber in self.auto:
                subscriber.reply(batch_reply(AUTO, interval))
            notice = delivery(FULL_MODE, interval, 0)
        subscriber.offer(encode(notice), None, 0)

    def _is_conflated(self, subscriber: Member) -> bool:
        return subscriber in self.conflation.interval_of

    def _setting_interval(self, subscriber: Member, now: float) -> int:
        if subscriber in self.auto:
            return self._auto_level(subscriber, now)
        return int(self.settings.get(subscriber, 0))

    def _review_lag(self, now: float) -> None:
        for subscriber, lag in self.lag.items():
            target = lag.decide(lag.lag_ms(subscriber.outbox_age(now), now), now)
            if target is not None:
                self._request(subscriber, target, now)

    # -- auto --------------------------------------------------------------------------------

    def measure_rate(self, now: float) -> None:
        since, seen = self._rate_mark
        if now > since:
            self.rate = (self.seen - seen) / (now - since)
            self._rate_mark = (now, self.seen)

    def review(self, now: float) -> None:
        """Re-pick every auto subscriber's interval, telling those whose interval changed;
        then move whoever lags too far to conflated delivery, or back."""
        self.measure_rate(now)
        for subscriber in list(self.auto):
            if self._is_conflated(subscriber) or subscriber in self.conflation.moves:
                continue
            interval = self._auto_level(subscriber, now)
            if interval != self.interval_of(subscriber):
                self._move(subscriber, interval, now)
                subscriber.reply(batch_reply(AUTO, interval))
        self._review_lag(now)

    def _auto_level(self, subscriber: Member, now: float) -> int:
        level = sum(1 for step in AUTO_RATE_STEPS if self.rate >= step)
        state = self.auto[subscriber]
        interval = self.interval_of(subscriber)
        current = AUTO_LEVELS_MS.index(interval) if interval in AUTO_LEVELS_MS else 0
        if state.backlog_ms > AUTO_BEHIND_MS and self.rate > 0:
            state.backlog_ms = 0.0  # one step per report: the next report says if it helped
            state.raised_until = now + AUTO_HOLD_S
            level = max(level, current + 1)
        elif now < state.raised_until:
            level = max(level, current)
        return AUTO_LEVELS_MS[min(level, len(AUTO_LEVELS_MS) - 1)]
