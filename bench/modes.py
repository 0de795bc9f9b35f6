"""Batch modes as a benchmark dimension: each run is an engine in a mode (`?batch=`).

A variant names the pair: the engine alone for unbatched ("py"), so the issue-5 comparisons
(py against js, one message per frame) read as before; "py+16", "js+auto" otherwise.

A mode may end in "+chart" (issue 21's analytics-on dimension): the page draws the chart with
two indicators (CHART_QUERY). Every other mode opens the page with `?chart=off`, as the
dashboard was measured before it had a chart, so earlier runs stay comparable.
"""

from collections.abc import Mapping
from typing import Any

UNBATCHED = "0"
DASHBOARD_MODE = "auto"  # what a page without `?batch=` uses
CHART = "+chart"
CHART_QUERY = "&symbol=BTC/USD&interval=1s&indicators=sma,ema"
CHART_OFF_QUERY = "&chart=off"
DEFAULT_MODES = (UNBATCHED, "16", "auto", "auto" + CHART)
QUICK_MODES = (UNBATCHED, "auto")


def variant(engine: str, mode: str) -> str:
    return engine if mode == UNBATCHED else f"{engine}+{mode}"


def run_variant(run: Mapping[str, Any]) -> str:
    return variant(str(run["engine"]), str(run.get("mode", UNBATCHED)))


def variants(engines: tuple[str, ...], modes: tuple[str, ...]) -> list[str]:
    return [variant(engine, mode) for engine in engines for mode in modes]


def mode_url(url: str, mode: str) -> str:
    """Always explicit: a page without `?batch=` uses the dashboard's default (auto)."""
    if mode.endswith(CHART):
        return f"{url}&batch={mode.removesuffix(CHART)}{CHART_QUERY}"
    return f"{url}&batch={mode}{CHART_OFF_QUERY}"
