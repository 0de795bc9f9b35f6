"""What one benchmark run measures: engines x loads, for how long, how often, and where results
go (`bench/results/`, ignored by git; runs the docs cite are copied to `bench/runs/`)."""

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.modes import DEFAULT_MODES, QUICK_MODES, variants

RESULTS_DIR = Path(__file__).resolve().parent / "results"
ENGINES = ("py", "js", "mpy", "py-worker")  # what `?engine=` accepts
DEFAULT_ENGINES = ENGINES
DEFAULT_LOADS = (100, 1000, 5000, 10000)  # msgs/s (issue 5)
DEFAULT_DURATION_S = 10.0
DEFAULT_WARMUP_S = 3.0
DEFAULT_STARTUP_RUNS = 5  # start-ups per engine, each cold, reloaded, then in a new tab
DEFAULT_REPEAT = 1  # measurements of each engine x mode x load cell, each on a fresh page
DEFAULT_SEED = 1
LIVE_TIMEOUT_S = 60.0

QUICK_LOADS = (100, 1000)
QUICK_DURATION_S = 3.0
QUICK_WARMUP_S = 2.0
QUICK_STARTUP_RUNS = 1
QUICK_LIVE_TIMEOUT_S = 30.0  # Pyodide goes live in ~3.5 s here; a dead engine costs this once


@dataclass(frozen=True)
class Settings:
    engines: tuple[str, ...] = DEFAULT_ENGINES
    modes: tuple[str, ...] = DEFAULT_MODES  # batch modes (`?batch=`): a dimension like engines
    loads: tuple[int, ...] = DEFAULT_LOADS
    duration_s: float = DEFAULT_DURATION_S
    warmup_s: float = DEFAULT_WARMUP_S
    startup: bool = True
    startup_runs: int = DEFAULT_STARTUP_RUNS
    repeat: int = DEFAULT_REPEAT
    seed: int = DEFAULT_SEED
    live_timeout_s: float = LIVE_TIMEOUT_S
    output: Path = field(default=RESULTS_DIR)
    quick: bool = False
    deflate: bool = False  # servers offer permessage-deflate (Chromium always accepts it)
    slow_device: bool = True  # the CPU-throttled dimension (bench/slow_device.py)
    source: str | None = None  # a --source for the server in place of the simulator's loads

    @classmethod
    def for_quick(cls, **overrides: Any) -> "Settings":
        """The short run: two loads, 3 s each after 2 s of warm-up, start-up measured once."""
        quick = cls(
            loads=QUICK_LOADS,
            modes=QUICK_MODES,
            duration_s=QUICK_DURATION_S,
            warmup_s=QUICK_WARMUP_S,
            startup_runs=QUICK_STARTUP_RUNS,
            live_timeout_s=QUICK_LIVE_TIMEOUT_S,
            quick=True,
            slow_device=False,
        )
        return replace(quick, **overrides)

    def to_json(self) -> dict[str, object]:
        return {
            "engines": list(self.engines),
            "modes": list(self.modes),
            "variants": variants(self.engines, self.modes),
            "loads": list(self.loads),
            "duration_s": self.duration_s,
            "warmup_s": self.warmup_s,
            "startup": self.startup,
            "startup_runs": self.startup_runs,
            "repeat": self.repeat,
            "seed": self.seed,
            "live_timeout_s": self.live_timeout_s,
            "quick": self.quick,
            "deflate": self.deflate,
            "slow_device": self.slow_device,
            "source": self.source,
        }

    def server_args(self) -> tuple[str, ...]:
        return ("--ws-deflate",) if self.deflate else ()
