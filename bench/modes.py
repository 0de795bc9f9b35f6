"""Batch modes as a benchmark dimension: each run is an engine in a mode (`?batch=`).

A variant names the pair: the engine alone for unbatched ("py"), so the issue-5 comparisons
(py against js, one message per frame) read as before; "py+16", "js+auto" otherwise.

A mode may end in "+chart" (issue 21's analytics-on dimension): the page draws the chart with
two indicators (CHART_QUERY). Every other mode opens the page with `?chart=off`, as the
dashboard was measured before it had a chart, so earlier runs stay comparable.

A mode may also end in "+boot" (issue 22): Pyodide boots the normal way (`?snapshot=off`)
instead of starting from the server's snapshot, so the two can be measured in one run.
"""

from collections.abc import Mapping
from typing import Any

UNBATCHED = "0"
DASHBOARD_MODE = "auto"  # what a page without `?batch=` uses
CHART = "+chart"
CHART_QUERY = "&symbol=BTC/USD&interval=1s&indicators=sma,ema"
CHART_OFF_QUERY = "&chart=off"
BOOT = "+boot"
BOOT_QUERY = "&snapshot=off"
MODIFIERS = (BOOT, CHART)  # in the order a mode ends with them: auto+chart+boot
DEFAULT_MODES = (UNBATCHED, "16", "auto", "auto" + CHART)
QUICK_MODES = (UNBATCHED, "auto")


def variant(engine: str, mode: str) -> str:
    return engine if mode == UNBATCHED else f"{engine}+{mode}"


def run_variant(run: Mapping[str, Any]) -> str:
    return variant(str(run["engine"]), str(run.get("mode", UNBATCHED)))


def variants(engines: tuple[str, ...], modes: tuple[str, ...]) -> list[str]:
    return [variant(engine, mode) for engine in engines for mode in modes]


def batch_of(mode: str) -> str:
    """The batch mode alone (`?batch=`), without the modifiers."""
    for modifier in MODIFIERS:
        mode = mode.removesuffix(modifier)
    return mode


def mode_url(url: str, mode: str) -> str:
    """Always explicit: a page without `?batch=` uses the dashboard's default (auto)."""
    booting = mode.endswith(BOOT)
    charted = mode.removesuffix(BOOT).endswith(CHART)
    query = f"&batch={batch_of(mode)}" + (CHART_QUERY if charted else CHART_OFF_QUERY)
    return url + query + (BOOT_QUERY if booting else "")
