"""`python -m bench`: measure the engines in headless Chromium against the real server."""

import argparse
import sys
from pathlib import Path
from typing import Any

from bench.arguments import count, positive
from bench.modes import batch_of
from bench.repeats import SPREAD_NAME
from bench.report import markdown
from bench.runner import run
from bench.settings import (
    ENGINES,
    QUICK_DURATION_S,
    QUICK_LIVE_TIMEOUT_S,
    QUICK_LOADS,
    QUICK_WARMUP_S,
    RESULTS_DIR,
    Settings,
)
from client.protocol import AUTO
from server.sources import check_url

EPILOG = (
    "Writes <output>/<time>.json and the plot <time>.png (default output bench/results/, which "
    "git ignores: copy a run the docs cite to bench/runs/ and list it in its README.md). Exits "
    "1 only when a measurement could not complete (an engine never went live, a server did not "
    "start); missed targets are reported, not failed."
)
KEEP_HINT = "bench/results/ is ignored by git; to keep a run the docs cite, copy it to bench/runs/"


def engines(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in ENGINES]
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"engines are from {', '.join(ENGINES)}; got {text!r}")
    return names


def modes(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    batches = [batch_of(name) for name in names]
    bad = [name for name in batches if not (name == AUTO or name.isdigit())]
    if not names or bad:
        raise argparse.ArgumentTypeError(
            "modes are 0, N (ms) or auto, each with +chart for the chart on and then +boot for "
            f"Pyodide booted without its snapshot; got {text!r}"
        )
    return names


def loads(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(value) for value in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a comma list of msgs/s, got {text!r}") from None
    if not values or min(values) <= 0:
        raise argparse.ArgumentTypeError(f"msgs/s must be positive, got {text!r}")
    return values


engines.__name__ = "engines"
modes.__name__ = "modes"
loads.__name__ = "loads"


def parser() -> argparse.ArgumentParser:
    defaults = Settings()
    cli = argparse.ArgumentParser(prog="python -m bench", description=__doc__, epilog=EPILOG)
    cli.add_argument(
        "--engines",
        type=engines,
        help=f"comma list from {', '.join(ENGINES)} (default {','.join(defaults.engines)})",
    )
    cli.add_argument(
        "--modes",
        type=modes,
        help=(
            "comma list of batch modes, 0|N|auto, +chart for the chart and two indicators on, "
            "+boot for Pyodide booted without its start-up snapshot "
            f"(default {','.join(defaults.modes)})"
        ),
    )
    cli.add_argument(
        "--loads",
        type=loads,
        help=f"comma list of msgs/s (default {','.join(map(str, defaults.loads))})",
    )
    cli.add_argument(
        "--duration", type=positive, help=f"seconds measured (default {defaults.duration_s:g})"
    )
    cli.add_argument(
        "--warmup", type=positive, help=f"seconds before reset (default {defaults.warmup_s:g})"
    )
    cli.add_argument(
        "--no-startup", action="store_true", help="skip the cold/warm start-up measurement"
    )
    cli.add_argument(
        "--startup-runs",
        type=count,
        help=(
            "start-ups per engine, each cold, reloaded and in a new tab "
            f"(default {defaults.startup_runs}; 1 with --quick)"
        ),
    )
    cli.add_argument(
        "--live-timeout",
        type=positive,
        help=(
            f"seconds a page may take to go live (default {defaults.live_timeout_s:g}; "
            f"{QUICK_LIVE_TIMEOUT_S:g} with --quick)"
        ),
    )
    cli.add_argument(
        "--deflate", action="store_true", help="servers offer permessage-deflate (default off)"
    )
    cli.add_argument(
        "--repeat",
        type=count,
        help=(
            f"measurements of each engine x mode x load, each on a fresh page (default "
            f"{defaults.repeat}); tables show the median and the {SPREAD_NAME}"
        ),
    )
    cli.add_argument(
        "--no-slow-device",
        action="store_true",
        help="skip the slow-device dimension (CPU throttled 4x and 6x; off with --quick)",
    )
    cli.add_argument(
        "--slow-device-only",
        action="store_true",
        help="measure the slow-device dimension alone (no start-up, no loads)",
    )
    cli.add_argument(
        "--source",
        type=source_url,
        help="measure the engines on this market instead of the simulator's loads, e.g. "
        "replay://recordings/today (a recording plays at its own rate; see docs/sources.md)",
    )
    cli.add_argument("--seed", type=int, help=f"simulator seed (default {defaults.seed})")
    cli.add_argument(
        "--output",
        type=Path,
        help=f"directory for the JSON result and the plot (default {defaults.output})",
    )
    cli.add_argument(
        "--quick",
        action="store_true",
        help=(
            f"short run: loads {','.join(map(str, QUICK_LOADS))}, {QUICK_DURATION_S:g} s each "
            f"after {QUICK_WARMUP_S:g} s warm-up, start-up once"
        ),
    )
    return cli


def source_url(text: str) -> str:
    try:
        return check_url(text)
    except ValueError as bad:
        raise argparse.ArgumentTypeError(str(bad)) from None


source_url.__name__ = "source"


def settings_from(args: argparse.Namespace) -> Settings:
    given: dict[str, Any] = {
        "engines": args.engines,
        "modes": args.modes,
        "loads": args.loads,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "startup_runs": args.startup_runs,
        "repeat": args.repeat,
        "seed": args.seed,
        "live_timeout_s": args.live_timeout,
        "output": args.output,
        "source": args.source,
    }
    overrides = {name: value for name, value in given.items() if value is not None}
    if args.deflate:
        overrides["deflate"] = True
    if args.no_startup:
        overrides["startup"] = False
    if args.no_slow_device:
        overrides["slow_device"] = False
    if args.slow_device_only:
        overrides.update(startup=False, loads=(), slow_device=True)
    return Settings.for_quick(**overrides) if args.quick else Settings(**overrides)


def main(argv: list[str] | None = None) -> int:
    settings = settings_from(parser().parse_args(argv))
    outcome = run(settings)
    sys.stdout.write(markdown(outcome.data))
    wrote = [outcome.path]
    if outcome.data["plot"]:
        wrote.append(outcome.path.with_name(outcome.data["plot"]))
    sys.stdout.write(f"\nWrote {' and '.join(map(str, wrote))}.\n")
    if outcome.path.resolve().is_relative_to(RESULTS_DIR):
        sys.stdout.write(f"{KEEP_HINT}.\n")
    sys.stdout.flush()
    return 0 if outcome.ok else 1
