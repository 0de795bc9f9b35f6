"""What a whole run says: each engine's highest sustainable rate, and the Python/JS ratios
(issue 5) of that rate and of the costs at the reference loads."""

from collections.abc import Mapping, Sequence
from typing import Any

from bench.high_rate import high_rate_summary
from bench.modes import UNBATCHED, run_variant
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
    ratio: Ratio, load: int | None, python: float | None, js: float | None
) -> dict[str, Any]:
    value, note = ratio_of(python, js)
    return {
        "key": ratio.key,
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


def rate_comparison(engines: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    python = engines[PYTHON]["highest_sustainable"]
    js = engines[JS]["highest_sustainable"]
    row = comparison(SUSTAINABLE_RATE, None, python, js)
    notes = [
        f"{engine}: {engines[engine]['note']}" for engine in (PYTHON, JS) if engines[engine]["note"]
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
    runs: Sequence[Run], engines: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    rows = [rate_comparison(engines)]
    common = sorted(set(engines[PYTHON]["measured_loads"]) & set(engines[JS]["measured_loads"]))
    rows += [
        comparison(
            ratio, load, value_at(runs, PYTHON, load, ratio), value_at(runs, JS, load, ratio)
        )
        for load in reference_loads(common)
        for ratio in RATIOS_AT_LOAD
    ]
    return rows


def summarize(engines: Sequence[str], runs: Sequence[Run]) -> dict[str, Any]:
    per_engine = {engine: engine_summary(engine, runs) for engine in engines}
    compared = PYTHON in per_engine and JS in per_engine
    return {
        "sustainable_criteria": criteria(),
        "engines": per_engine,
        "ratios": f"{PYTHON}/{JS}",
        "comparisons": comparisons(runs, per_engine) if compared else [],
        "comparisons_note": None
        if compared
        else f"needs both {PYTHON} and {JS} measured unbatched (--modes {UNBATCHED})",
        "high_rate": high_rate_summary(engines, runs),
    }
