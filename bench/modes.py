"""Batch modes as a benchmark dimension: each run is an engine in a mode (`?batch=`).

A variant names the pair: the engine alone for unbatched ("py"), so the issue-5 comparisons
(py against js, one message per frame) read as before; "py+16", "js+auto" otherwise.
"""

from collections.abc import Mapping
from typing import Any

UNBATCHED = "0"
DASHBOARD_MODE = "auto"  # what a page without `?batch=` uses
DEFAULT_MODES = (UNBATCHED, "16", "auto")
QUICK_MODES = (UNBATCHED, "auto")


def variant(engine: str, mode: str) -> str:
    return engine if mode == UNBATCHED else f"{engine}+{mode}"


def run_variant(run: Mapping[str, Any]) -> str:
    return variant(str(run["engine"]), str(run.get("mode", UNBATCHED)))


def variants(engines: tuple[str, ...], modes: tuple[str, ...]) -> list[str]:
    return [variant(engine, mode) for engine in engines for mode in modes]


def mode_url(url: str, mode: str) -> str:
    """Always explicit: a page without `?batch=` uses the dashboard's default (auto)."""
    return f"{url}&batch={mode}"
