"""Repetitions of one cell (engine x batch mode x load) as one row: the median of each figure,
with its spread as [min, max] beside it in `spread`.

A cell is judged on its medians (targets, sustainable), so one lucky or unlucky repetition does
not decide it. A cell with a failed repetition is reported as failed: its medians would hide
that the engine did not always complete.
"""

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from bench.measure import finish
from bench.modes import UNBATCHED

EN_DASH = "\N{EN DASH}"
SPREAD_NAME = f"min{EN_DASH}max"  # how the tables and the plot show a spread
# The parts of a run that are measured figures; the rest (engine, mode, load) names the cell.
MEASURED = (
    "ready_ms",
    "interval_s",
    "measured_rate",
    "metrics",
    "render_ms",
    "long_tasks",
    "heap",
    "server",
)

Run = Mapping[str, Any]


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def median(values: Sequence[Any]) -> Any:
    """The median of numbers, merged key by key through dicts; the first value otherwise
    (names, flags, lists). Missing values (None) are left out."""
    present = [value for value in values if value is not None]
    if not present:
        return None
    if all(isinstance(value, Mapping) for value in present):
        keys = list(dict.fromkeys(key for value in present for key in value))
        return {key: median([value.get(key) for value in present]) for key in keys}
    if all(is_number(value) for value in present):
        return statistics.median(present)
    return present[0]


def spread(values: Sequence[Any]) -> Any:
    """[min, max] of numbers, key by key through dicts; None where a value is not a number."""
    present = [value for value in values if value is not None]
    if present and all(isinstance(value, Mapping) for value in present):
        keys = list(dict.fromkeys(key for value in present for key in value))
        merged = {key: spread([value.get(key) for value in present]) for key in keys}
        return {key: value for key, value in merged.items() if value is not None} or None
    if present and all(is_number(value) for value in present):
        return [min(present), max(present)]
    return None


def cell_key(run: Run) -> tuple[str, str, int]:
    return (str(run["engine"]), str(run.get("mode", UNBATCHED)), int(run["load"]["target"]))


def failed_cell(group: Sequence[Run]) -> dict[str, Any]:
    failures = [run for run in group if run.get("error")]
    cell = dict(failures[0])
    if len(group) > 1:
        cell["error"] = f"{len(failures)} of {len(group)} repetitions failed: {cell['error']}"
    cell["repetitions"] = len(group)
    return finish(cell)


def aggregate(group: Sequence[Run]) -> dict[str, Any]:
    """One cell from its repetitions."""
    if any(run.get("error") for run in group):
        return failed_cell(group)
    cell: dict[str, Any] = {
        key: value for key, value in group[0].items() if key not in MEASURED and key != "repetition"
    }
    for key in MEASURED:
        cell[key] = median([run.get(key) for run in group])
    cell["spread"] = {
        key: value
        for key in MEASURED
        if (value := spread([run.get(key) for run in group])) is not None
    }
    cell["console_errors"] = console_errors(group)
    cell["repetitions"] = len(group)
    return finish(cell)


def console_errors(group: Sequence[Run]) -> dict[str, Any]:
    """Errors over all repetitions: the count summed, the first repetition's that has any."""
    reports = [run.get("console_errors") or {} for run in group]
    firsts = [report.get("first") for report in reports if report.get("first")]
    return {
        "count": sum(int(report.get("count") or 0) for report in reports),
        "first": firsts[0] if firsts else [],
    }


def cells(runs: Sequence[Run]) -> list[dict[str, Any]]:
    """One row per cell, in the order cells were first measured."""
    groups: dict[tuple[str, str, int], list[Run]] = {}
    for run in runs:
        groups.setdefault(cell_key(run), []).append(run)
    return [aggregate(group) for group in groups.values()]


def cells_of(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A result's cells; runs written before `--repeat` (one repetition each) become cells."""
    stored = data.get("cells")
    return list(stored) if stored is not None else cells(data.get("runs") or [])


def repetitions(result: Mapping[str, Any]) -> int:
    """How many measurements a row's figures summarize: a cell's repetitions, a start-up's
    runs."""
    if result.get("repetitions") is not None:
        return int(result["repetitions"])
    runs = result.get("runs")
    return len(runs) if isinstance(runs, list) else 1
