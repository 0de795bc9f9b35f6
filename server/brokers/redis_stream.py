"""redis://: many server processes on one market, through Redis.

Every process reads one capped Redis Stream and fans it out to its own clients; the frames in it
were encoded once, by the process that published them. One process at a time, the holder of a
lock with a TTL, runs the market and appends to the stream; when it stops renewing the lock
(killed, hung, cut off), another takes over within LOCK_TTL_S + ELECTION_INTERVAL_S and
continues from the last seq in Redis. Appends are fenced: the script that writes a tick checks
the lock's token first, so a leader that lost the lock cannot write after its successor.

The same script keeps the snapshot state beside the stream (capped like the hub's), so a process
that starts late, or lost messages, loads the state every other process has for that seq.
"""

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any, cast

import orjson
import redis.asyncio as redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError

from client.backoff import retry_delay_ms
from client.protocol import (
    HISTORY_LIMIT,
    PRICE,
    SNAPSHOT,
    TRADES_LIMIT,
    Message,
    config,
)
from server.brokers import Broker, BrokerUnavailableError, Role, new_market_id
from server.feed import Feed
from server.hub import Entry, Hub, encode, shed_key
from server.settings import Settings
from server.snapshot import Recorder
from server.sources import FixedPaceError, Source
from server.system import SystemSampler

log = logging.getLogger("tickscope.broker")

PREFIX = "tickscope:"
LEADER = PREFIX + "leader"
SEQ = PREFIX + "seq"
STREAM = PREFIX + "stream"
CONFIG_KEY = PREFIX + "config"
SYSTEM_KEY = PREFIX + "system"
LAST = PREFIX + "last"
BOOKS = PREFIX + "books"
TRADES = PREFIX + "trades"
PRICES = PREFIX + "prices:"
FREQUENCY = PREFIX + "frequency"
MARKET = PREFIX + "market"
CONTROL = PREFIX + "control"

LOCK_TTL_S = 2.0
RENEW_INTERVAL_S = 0.5
ELECTION_INTERVAL_S = 0.5
RETAINED = 50_000  # stream entries kept for resuming clients: 50 s of 1000 msgs/s
READ_COUNT = 1000
READ_BLOCK_MS = 1000
FIRST_MESSAGE_WAIT_S = 3.0
MS = 1000.0
# When Redis comes back empty, a new leader cannot know the last seq any client saw; it jumps
# this far past its own, more than any process lags behind the stream, so no seq is reused.
RESEED_SEQ_GAP = 10_000

# Appends one tick atomically: stream entries and snapshot state, only while KEYS[1] (the lock)
# holds our token. ARGV: token, retained, history, trades, then 6 per message:
# seq, type, symbol, price, shed key, frame.
PUBLISH_SCRIPT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local retained, history, trades = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
for i = 5, #ARGV, 6 do
  local seq, kind, symbol, price, key, frame =
    ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', retained, seq .. '-0', 'm', frame, 'k', key)
  redis.call('SET', KEYS[9], seq)
  if kind == 'price' then
    redis.call('RPUSH', KEYS[3] .. symbol, price)
    redis.call('LTRIM', KEYS[3] .. symbol, -history, -1)
    redis.call('HSET', KEYS[4], symbol, frame)
  elseif kind == 'book' then
    redis.call('HSET', KEYS[5], symbol, frame)
  elseif kind == 'trade' then
    redis.call('RPUSH', KEYS[6], frame)
    redis.call('LTRIM', KEYS[6], -trades, -1)
  elseif kind == 'system' then
    redis.call('SET', KEYS[7], frame)
  elseif kind == 'config' then
    redis.call('SET', KEYS[8], frame)
  end
end
return 1
"""
PUBLISH_KEYS = [LEADER, STREAM, PRICES, LAST, BOOKS, TRADES, SYSTEM_KEY, CONFIG_KEY, SEQ]


class LeadershipLostError(Exception):
    """Another process holds the lock now; this one must stop its market."""


def _token() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"


StreamEntry = tuple[bytes, dict[bytes, bytes]]


def _seq_of(entry_id: bytes) -> int:
    return int(entry_id.split(b"-", 1)[0])


class RedisBroker(Broker):
    def __init__(self, settings: Settings, hub: Hub, source: Source) -> None:
        super().__init__(settings, hub, source)
        self.client: redis.Redis = redis.from_url(settings.broker)
        self.token = _token()
        self.symbols = source.symbols
        self.publish_script = self.client.register_script(PUBLISH_SCRIPT)

    # -- lifecycle --------------------------------------------------------------------------

    @classmethod
    async def preflight(cls, settings: Settings, source: Source) -> None:
        probe = cls(settings, Hub(Recorder(config(source.frequency_ms, source.symbols))), source)
        try:
            await probe._join()
        finally:
            await probe.client.aclose()

    async def _join(self) -> None:
        try:
            snapshot = await self.read_snapshot()
        except RedisError as error:
            raise BrokerUnavailableError(
                f"cannot reach Redis at {self.settings.broker}: {error}"
            ) from error
        mine, theirs = self.symbols, snapshot["config"]["symbols"]
        if mine != theirs:
            raise BrokerUnavailableError(
                f"the market in Redis has symbols {','.join(theirs)} but this process was "
                f"started with {','.join(mine)}; start every process with the same --symbols"
            )
        self.hub.recorder.load(snapshot)
        self.hub.seq = snapshot["seq"]

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        try:
            await self._join()
        except BrokerUnavailableError:
            await self.client.aclose()
            raise
        tasks = [
            asyncio.create_task(self._consume(), name="broker-consume"),
            asyncio.create_task(self._elect(), name="broker-elect"),
        ]
        try:
            await self._first_message()
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.client.aclose()

    async def _first_message(self) -> None:
        # A fresh market has nothing to show until the first leader's first tick arrives.
        waited = 0.0
        while self.hub.seq == 0 and waited < FIRST_MESSAGE_WAIT_S:
            await asyncio.sleep(ELECTION_INTERVAL_S / 10)
            waited += ELECTION_INTERVAL_S / 10

    # -- the shared state -------------------------------------------------------------------

    async def read_snapshot(self) -> Message:
        """The state as of the last published seq, read in one transaction."""
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.get(SEQ)
            pipe.get(CONFIG_KEY)
            pipe.hgetall(LAST)
            pipe.hgetall(BOOKS)
            pipe.lrange(TRADES, 0, -1)
            pipe.get(SYSTEM_KEY)
            for symbol in self.symbols:
                pipe.lrange(PRICES + symbol, 0, -1)
            seq, config_frame, last, books, trades, system, *prices = await pipe.execute()
        frequency = self.settings.frequency_ms
        return {
            "type": SNAPSHOT,
            "config": orjson.loads(config_frame)
            if config_frame
            else config(frequency, self.symbols),
            "prices": {
                symbol: [float(price) for price in history]
                for symbol, history in zip(self.symbols, prices, strict=True)
            },
            "last": {symbol.decode(): orjson.loads(frame) for symbol, frame in last.items()},
            "books": {symbol.decode(): orjson.loads(frame) for symbol, frame in books.items()},
            "trades": [orjson.loads(frame) for frame in trades],
            "system": orjson.loads(system) if system else None,
            "seq": int(seq or 0),
        }

    async def replay(self, after: int) -> list[Entry] | None:
        local = self.hub.retained_after(after)
        if local is not None or after > self.hub.seq:
            return local
        try:
            first = cast(list[StreamEntry], await self.client.xrange(STREAM, count=1))
            if not first or _seq_of(first[0][0]) > after + 1:
                return None  # trimmed away
            entries = cast(
                list[StreamEntry],
                await self.client.xrange(STREAM, min=f"{after + 1}-0", max=f"{self.hub.seq}-0"),
            )
        except RedisError:
            return None
        replayed = [
            Entry(_seq_of(entry_id), fields[b"m"].decode(), fields[b"k"].decode() or None)
            for entry_id, fields in entries
        ]
        # Whatever this process delivered while Redis answered is already in its own memory.
        tail = self.hub.retained_after(replayed[-1].seq if replayed else after) or []
        return replayed + tail

    async def set_frequency(self, frequency_ms: int) -> None:
        if not self.source.paced:
            self.source.set_frequency(frequency_ms)  # raises FixedPaceError here, not at the leader
        try:
            # Kept as well as announced: a leader elected later starts with it.
            await self.client.set(FREQUENCY, frequency_ms)
            await self.client.publish(CONTROL, frequency_ms)
        except RedisError as error:
            raise BrokerUnavailableError(f"the market cannot be reached: {error}") from error

    # -- every process: the stream in -------------------------------------------------------

    async def _consume(self) -> None:
        failures = 0
        outage = False  # a gap seen right after one means Redis lost what it held
        while True:
            try:
                reply = cast(
                    list[tuple[bytes, list[StreamEntry]]],
                    await self.client.xread(
                        {STREAM: f"{self.hub.seq}-0"}, count=READ_COUNT, block=READ_BLOCK_MS
                    ),
                )
                if failures:
                    log.warning("reconnected to Redis after %d failed attempts", failures)
                    failures = 0
                for _stream, entries in reply:
                    await self._deliver(entries, outage)
                    outage = False
            except RedisError as error:
                failures += 1
                outage = True
                log.warning("Redis stream read failed (%s); retrying", error)
                await self._reconnect_later(failures)

    async def _reconnect_later(self, failures: int) -> None:
        # After Redis restarts, every idle pooled connection is dead; dropping them all now
        # spares the next leader a spurious failure on its first command.
        await self.client.connection_pool.disconnect()
        await asyncio.sleep(retry_delay_ms(failures) / MS)

    async def _deliver(self, entries: list[StreamEntry], after_outage: bool) -> None:
        for entry_id, fields in entries:
            if _seq_of(entry_id) != self.hub.seq + 1:
                await self._resync(after_outage)
                return
            frame = fields[b"m"].decode()
            self.hub.deliver(orjson.loads(frame), frame)

    async def _resync(self, after_outage: bool) -> None:
        snapshot = await self.read_snapshot()
        if after_outage:
            reason = "Redis was unreachable and came back without them"
        else:
            reason = "this server fell behind the Redis stream, which no longer held them"
        log.warning("resyncing from the Redis snapshot at seq %d: %s", snapshot["seq"], reason)
        self.resyncs += 1
        self.hub.resync(snapshot, reason)

    # -- one process at a time: the market out ----------------------------------------------

    async def _elect(self) -> None:
        failures = 0
        while True:
            lock = Lock(self.client, LEADER, timeout=LOCK_TTL_S, blocking=False)
            try:
                if await lock.acquire(token=self.token):
                    await self._lead(lock)
                failures = 0
                await asyncio.sleep(ELECTION_INTERVAL_S)
            except (RedisError, LockError, LeadershipLostError) as error:
                self.role = Role.FOLLOWER
                failures += 1
                log.warning("not leading the market (%s); retrying", error)
                await self._reconnect_later(failures)

    async def _lead(self, lock: Lock) -> None:
        self.role = Role.LEADER
        self.takeovers += 1
        pubsub = self.client.pubsub()
        try:
            await pubsub.subscribe(CONTROL)  # before reading the period: no request falls between
            feed = await self._take_over()
            sampler = SystemSampler()
            await feed.prime(sampler)
            duties = [
                asyncio.create_task(feed.run(sampler)),
                asyncio.create_task(self._renew(lock)),
                asyncio.create_task(self._obey(pubsub, feed)),
            ]
            try:
                done, _ = await asyncio.wait(duties, return_when=asyncio.FIRST_EXCEPTION)
                for task in done:
                    task.result()
            finally:
                for task in duties:
                    task.cancel()
                await asyncio.gather(*duties, return_exceptions=True)
        finally:
            self.role = Role.FOLLOWER
            with suppress(RedisError):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
            with suppress(RedisError, LockError):
                await lock.release()  # the next leader need not wait for the TTL

    async def _take_over(self) -> Feed:
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.get(SEQ)
            pipe.get(FREQUENCY)
            pipe.hgetall(LAST)
            pipe.set(MARKET, new_market_id(), nx=True)  # a new name if Redis had none
            pipe.get(MARKET)
            seq_raw, frequency_raw, last, _, market_id = await pipe.execute()
        if seq_raw is not None:
            seq = int(seq_raw)
        elif self.hub.seq:
            seq = self.hub.seq + RESEED_SEQ_GAP  # Redis lost its data
        else:
            seq = 0
        self.source.resume({s.decode(): orjson.loads(frame)["price"] for s, frame in last.items()})
        if self.source.paced:
            self.source.set_frequency(
                int(frequency_raw) if frequency_raw else self.hub.recorder.config["frequency_ms"]
            )
        publisher = Publisher(self, seq)
        feed = Feed(self.source, publisher.publish, lambda: self.hub.published, market_id.decode())
        log.info("leading the market from seq %d", seq)
        await feed.publish([feed.config()])  # the period it runs at, for every client
        return feed

    async def _renew(self, lock: Lock) -> None:
        while True:
            await asyncio.sleep(RENEW_INTERVAL_S)
            try:
                await lock.reacquire()
            except LockError as error:
                raise LeadershipLostError(f"the lock was lost: {error}") from error

    async def _obey(self, pubsub: Any, feed: Feed) -> None:
        async for message in pubsub.listen():
            if message["type"] == "message":
                try:
                    await feed.set_frequency(int(message["data"]))
                except FixedPaceError as fixed:  # asked of another process: refused there too
                    log.warning("%s", fixed)


class Publisher:
    """The leader's side of the stream: numbers messages and appends them, fenced by the lock.

    The market and system clocks publish concurrently; one append at a time keeps the stream's
    ids in seq order (two in flight could reach Redis over two connections, in either order).
    """

    def __init__(self, broker: RedisBroker, seq: int) -> None:
        self.broker = broker
        self.seq = seq
        self._one_at_a_time = asyncio.Lock()

    async def publish(self, messages: list[Message]) -> None:
        async with self._one_at_a_time:
            args: list[str | int | float | bytes] = [
                self.broker.token,
                RETAINED,
                HISTORY_LIMIT,
                TRADES_LIMIT,
            ]
            for message in messages:
                self.seq += 1
                message["seq"] = self.seq
                kind = message["type"]
                args += [
                    self.seq,
                    kind,
                    message.get("symbol", ""),
                    repr(message["price"]) if kind == PRICE else "",
                    shed_key(message) or "",
                    encode(message),
                ]
            if not await self.broker.publish_script(keys=PUBLISH_KEYS, args=args):
                raise LeadershipLostError("another process holds the lock")
