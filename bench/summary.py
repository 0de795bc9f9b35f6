"""What a whole run says: each engine's highest sustainable rate, and the Python/JS ratios
(issue 5) of that rate and of the costs at the reference loads, for every batch mode both were
measured in: the dashboard's default (auto) first, then unbatched (issue 5's own), then others."""

from collections.abc import Mapping, Sequence
from typing import Any

from bench.high_rate import high_rate_summary
from bench.modes import DASHBOARD_MODE, UNBATCHED, run_variant, variant
from bench.targets import (
    JS,
    NEAREST_LOAD,
    PYTHON,
    RATIOS_AT_LOAD,
    REFERENCE_LOAD,
    REFERENCE_TOLERANCE,
    SUSTAINABLE,
    SUSTAINABLE_RATE,
    Ratio,
)

NONE_SUSTAINABLE = "none of the measured loads"
NONE_COMPLETED = "no completed run"

Run = Mapping[str, Any]


def load_of(run: Run) -> int:
    return int(run["load"]["target"])


def number_at(result: Mapping[str, Any], path: Sequence[str]) -> float | None:
    """The number at `path` in `result`; None where any step is missing."""
    node: Any = result
    for key in path:
        if not isinstance(node, Mapping) or node.get(key) is None:
            return None
        node = node[key]
    return float(node)


def criteria() -> str:
    return "; ".join(target.label for target in SUSTAINABLE)


def engine_summary(engine: str, runs: Sequence[Run]) -> dict[str, Any]:
    mine = [run for run in runs if run_variant(run) == engine]
    sustainable = sorted(load_of(run) for run in mine if run.get("sustainable"))
    completed = [run for run in mine if not run.get("error")]
    return {
        "measured_loads": sorted({load_of(run) for run in mine}),
        "failed_loads": sorted(load_of(run) for run in mine if run.get("error")),
        "sustainable_loads": sustainable,
        "highest_sustainable": sustainable[-1] if sustainable else None,
        "note": None if sustainable else NONE_SUSTAINABLE if completed else NONE_COMPLETED,
    }


def ratio_of(python: float | None, js: float | None) -> tuple[float | None, str | None]:
    """Python's value over JS's, or why there is none."""
    if python is None or js is None:
        return None, "not measured" if python is None and js is None else "one side missing"
    if js <= 0:
        return None, "the JS value is 0"
    return python / js, None


def comparison(
    ratio: Ratio, load: int | None, python: float | None, js: float | None, mode: str = UNBATCHED
) -> dict[str, Any]:
    value, note = ratio_of(python, js)
    return {
        "key": ratio.key,
        "mode": mode,
        "variants": {PYTHON: variant(PYTHON, mode), JS: variant(JS, mode)},
        "label": ratio.label,
        "load": load,
        PYTHON: python,
        JS: js,
        "ratio": value,
        "target": ratio.bound,
        "limit": ratio.limit,
        "met": ratio.met(value),
        "note": note,
    }


def rate_comparison(engines: Mapping[str, Mapping[str, Any]], mode: str) -> dict[str, Any]:
    python_variant, js_variant = variant(PYTHON, mode), variant(JS, mode)
    python = engines[python_variant]["highest_sustainable"]
    js = engines[js_variant]["highest_sustainable"]
    row = comparison(SUSTAINABLE_RATE, None, python, js, mode)
    notes = [
        f"{name}: {engines[name]['note']}"
        for name in (python_variant, js_variant)
        if engines[name]["note"]
    ]
    if notes:
        row["note"] = "; ".join(notes)
    return row


def reference_loads(common: Sequence[int]) -> list[int]:
    """The measured load nearest NEAREST_LOAD, and REFERENCE_LOAD's nearest if close enough."""
    if not common:
        return []
    chosen = [min(common, key=lambda load: (abs(load - NEAREST_LOAD), load))]
    nearest = min(common, key=lambda load: (abs(load - REFERENCE_LOAD), load))
    if abs(nearest - REFERENCE_LOAD) <= REFERENCE_TOLERANCE * REFERENCE_LOAD:
        chosen.append(nearest)
    return sorted(set(chosen))


def value_at(runs: Sequence[Run], engine: str, load: int, ratio: Ratio) -> float | None:
    """The engine's value for `ratio` in its completed run at `load`; None if it has none."""
    run = next(
        (
            run
            for run in runs
            if run_variant(run) == engine and load_of(run) == load and not run.get("error")
        ),
        None,
    )
    return None if run is None or ratio.path is None else number_at(run, ratio.path)


def comparisons(
    runs: Sequence[Run], engines: Mapping[str, Mapping[str, Any]], mode: str
) -> list[dict[str, Any]]:
    python, js = variant(PYTHON, mode), variant(JS, mode)
    rows = [rate_comparison(engines, mode)]
    common = sorted(set(engines[python]["measured_loads"]) & set(engines[js]["measured_loads"]))
    rows += [
        comparison(
            ratio,
            load,
            value_at(runs, python, load, ratio),
            value_at(runs, js, load, ratio),
            mode,
        )
        for load in reference_loads(common)
        for ratio in RATIOS_AT_LOAD
    ]
    return rows


def compared_modes(engines: Mapping[str, Any], runs: Sequence[Run]) -> list[str]:
    """Modes both PYTHON and JS were measured in: the dashboard's default first."""
    modes = {str(run.get("mode", UNBATCHED)) for run in runs}
    both = [m for m in modes if variant(PYTHON, m) in engines and variant(JS, m) in engines]
    first = (DASHBOARD_MODE, UNBATCHED)
    return sorted(both, key=lambda m: (first.index(m) if m in first else len(first), m))


def summarize(engines: Sequence[str], runs: Sequence[Run]) -> dict[str, Any]:
    per_engine = {engine: engine_summary(engine, runs) for engine in engines}
    modes = compared_modes(per_engine, runs)
    return {
        "sustainable_criteria": criteria(),
        "engines": per_engine,
        "ratios": f"{PYTHON}/{JS}",
        "comparisons": [row for mode in modes for row in comparisons(runs, per_engine, mode)],
        "comparisons_note": None
        if modes
        else f"needs both {PYTHON} and {JS} measured in one batch mode",
        "high_rate": high_rate_summary(engines, runs),
    }
