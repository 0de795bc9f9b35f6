"""Several sources as one: the first runs, and when it fails, ends or falls silent for
`silence_s`, the next takes over (the last hands back to the first). Every source must carry the
same symbols (`?names=` renames an exchange's), so the page's cards stay the same; each switch is
told to `on_switch`, which the server turns into a notice to every client.
"""

import asyncio
import logging
import time
from collections.abc import Callable

from client.protocol import Message
from server.sources import Emit, Source, SourceError

log = logging.getLogger("tickscope.failover")


class Failover(Source):
    scheme = "failover"

    def __init__(self, sources: list[Source], silence_s: float) -> None:
        super().__init__(" then ".join(s.url for s in sources), sources[0].settings)
        first = sources[0].symbols
        for standby in sources[1:]:
            if standby.symbols != first:
                raise ValueError(
                    f"a standby must carry the symbols of the source it stands by for: "
                    f"{standby.url} has {','.join(standby.symbols)}, {sources[0].url} has "
                    f"{','.join(first)} (rename with ?names=)"
                )
        self.sources = sources
        self.silence_s = silence_s
        self.active = 0
        self.switches = 0
        self.paced = sources[0].paced
        self.frequency_ms = sources[0].frequency_ms
        self.on_switch: Callable[[str], None] | None = None

    @property
    def symbols(self) -> list[str]:
        return self.sources[0].symbols

    @property
    def current(self) -> Source:
        return self.sources[self.active]

    def describe(self) -> str:
        return self.current.describe()

    async def check(self) -> None:
        await self.sources[0].check()
        for standby in self.sources[1:]:
            try:
                await standby.check()
            except SourceError as unavailable:  # the market can start; the standby may recover
                log.warning("standby %s is not available now: %s", standby.url, unavailable)

    def counts(self) -> dict[str, int]:
        total: dict[str, int] = {"switches": self.switches}
        for source in self.sources:
            for name, count in source.counts().items():
                total[name] = total.get(name, 0) + count
        return total

    def prime(self) -> list[Message]:
        return self.current.prime()

    def set_frequency(self, frequency_ms: int) -> None:
        self.current.set_frequency(frequency_ms)
        self.frequency_ms = frequency_ms

    def resume(self, prices: dict[str, float]) -> None:
        for source in self.sources:
            source.resume(prices)

    async def run(self, emit: Emit) -> None:
        while True:
            reason = await self._watch(self.current, emit)
            failed = self.current.url
            self.active = (self.active + 1) % len(self.sources)
            self.switches += 1
            self.paced = self.current.paced
            told = f"{failed} {reason}; {self.current.url} took over"
            log.warning("%s", told)
            if self.on_switch is not None:
                self.on_switch(told)

    async def _watch(self, source: Source, emit: Emit) -> str:
        """Run `source` until it ends, fails or falls silent; say which."""
        last = time.monotonic()

        async def watched(messages: list[Message]) -> None:
            nonlocal last
            last = time.monotonic()
            await emit(messages)

        task = asyncio.create_task(source.run(watched), name=f"source {source.url}")
        try:
            while True:
                left = last + self.silence_s - time.monotonic()
                done, _ = await asyncio.wait({task}, timeout=max(0.0, left))
                if done:
                    error = task.exception()
                    return "ended" if error is None else f"failed ({error})"
                if time.monotonic() - last >= self.silence_s:
                    return f"fell silent for {self.silence_s:g} s"
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
