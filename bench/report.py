"""Markdown tables of a result (the JSON written by a run, or one read back from a file)."""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bench import indicator_cost
from bench.high_rate import MIN_HIGH_RATE, MIN_HIGH_RATE_RATIO
from bench.modes import UNBATCHED
from bench.repeats import EN_DASH, SPREAD_NAME, cells_of, repetitions
from bench.slow_device import MAX_WIRE_P95_MS, SETTLE_S, WATCH_S
from bench.targets import (
    COMPARE_TARGETS,
    JS,
    MAX_WARM_START_VS_JS,
    MICROPYTHON_STARTUP_TARGETS,
    PANEL,
    PYTHON,
    RUN_TARGETS,
    SNAPSHOT_STARTUP_TARGETS,
    STARTUP_TARGETS,
    TIMES,
    Target,
)

MISSING = "-"
MET = "✓"
MISSED = "✗"
BYTES_PER_KB = 1024.0

Cell = Callable[[Mapping[str, Any]], str]


def dig(result: Mapping[str, Any], *path: str) -> Any:
    node: Any = result
    for key in path:
        if not isinstance(node, Mapping) or node.get(key) is None:
            return None
        node = node[key]
    return node


def formatted(value: Any, digits: int | None) -> str:
    """`digits` decimals; None for a count, whose median may be a half."""
    return f"{float(value):g}" if digits is None else f"{float(value):.{digits}f}"


def figure(result: Mapping[str, Any], digits: int | None, *path: str) -> str:
    """The value at `path`; with its spread beside it when it is a median of several."""
    value = dig(result, *path)
    if value is None:
        return MISSING
    text = formatted(value, digits)
    bounds = dig(result, "spread", *path)
    if repetitions(result) > 1 and isinstance(bounds, list):
        low, high = (formatted(bound, digits) for bound in bounds)
        if low != high:  # "0 (0-0)" says nothing that "0" does not
            text += f" ({low}{EN_DASH}{high})"
    return text


def number(digits: int | None, *path: str) -> Cell:
    def cell(result: Mapping[str, Any]) -> str:
        return figure(result, digits, *path)

    return cell


def flag(target: Target) -> Cell:
    def cell(result: Mapping[str, Any]) -> str:
        met = dig(result, "targets", target.key)
        if met is None and target.optional:
            return MISSING
        return MET if met else MISSED

    return cell


def long_tasks(result: Mapping[str, Any]) -> str:
    if dig(result, "long_tasks", "count") is None:
        return MISSING
    total = float(dig(result, "long_tasks", "total_ms") or 0)
    return f"{figure(result, None, 'long_tasks', 'count')}, {total:.0f} ms"


def render_cost(result: Mapping[str, Any]) -> str:
    """`render_ms` may come as one number or as a summary ({mean, p50, p95, ...})."""
    value = dig(result, "render_ms")
    if value is None:
        return MISSING
    if isinstance(value, Mapping):
        return " / ".join(
            f"{key} {figure(result, 2, 'render_ms', key)}"
            for key in ("mean", "p50", "p95")
            if value.get(key) is not None
        )
    return figure(result, 2, "render_ms")


def fetched(phase: str) -> Cell:
    """Bytes the first run's `phase` navigation fetched over the network (0 from cache)."""

    def cell(result: Mapping[str, Any]) -> str:
        runs = result.get("runs") or []
        value = dig(runs[0], phase, "transferred_bytes") if runs else None
        return MISSING if value is None else f"{float(value) / BYTES_PER_KB:.0f}"

    return cell


def text(*path: str) -> Cell:
    def cell(result: Mapping[str, Any]) -> str:
        value = dig(result, *path)
        return MISSING if value is None else str(value)

    return cell


def meets(result: Mapping[str, Any]) -> str:
    return MET if result.get("meets_targets") else MISSED


def table(columns: Sequence[tuple[str, Cell]], rows: Sequence[Mapping[str, Any]]) -> str:
    lines = [
        "| " + " | ".join(name for name, _ in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in rows:
        if row.get("error"):
            lead = [cell(row) for _, cell in columns[:2]]
            rest = [f"error: {row['error']}"] + [""] * (len(columns) - len(lead) - 1)
            lines.append("| " + " | ".join(lead + rest) + " |")
        else:
            lines.append("| " + " | ".join(cell(row) for _, cell in columns) + " |")
    return "\n".join(lines)


def run_columns(runs: Sequence[Mapping[str, Any]]) -> list[tuple[str, Cell]]:
    columns: list[tuple[str, Cell]] = [
        ("engine", text("engine")),
        ("batch", lambda run: str(run.get("mode", UNBATCHED))),
        ("target msgs/s", text("load", "target")),
        ("measured msgs/s", number(0, "measured_rate")),
        ("gaps", number(None, "metrics", "gaps")),
        ("latency mean ms", number(1, "metrics", "latency_ms", "mean")),
        ("latency p50 ms", number(1, "metrics", "latency_ms", "p50")),
        ("latency p95 ms", number(1, "metrics", "latency_ms", "p95")),
        ("wire p50 ms", number(1, "metrics", "wire_ms", "p50")),
        ("wire p95 ms", number(1, "metrics", "wire_ms", "p95")),
        ("handler p50 µs", number(0, "metrics", "handler_us", "p50")),
        ("handler p95 µs", number(0, "metrics", "handler_us", "p95")),
        ("FPS mean", number(1, "metrics", "fps", "mean")),
        ("FPS min", number(1, "metrics", "fps", "min")),
        ("long tasks", long_tasks),
        ("heap MB", number(1, "heap", "mb")),
        ("server dropped", number(0, "server", "dropped")),
    ]
    if any(run.get("render_ms") is not None for run in runs):
        columns.append(("render ms/frame", render_cost))
    has_panel = any(PANEL.value(run) is not None for run in runs)
    if has_panel:
        columns.append(("panel µs", number(0, *PANEL.path)))
    columns += [
        (f"{target.key} {MET}", flag(target))
        for target in RUN_TARGETS
        if has_panel or target is not PANEL
    ]
    columns.append(("meets targets", meets))
    return columns


def started_from(result: Mapping[str, Any]) -> str:
    """How the runs' pages started: Pyodide from its snapshot, booted, or (other runtimes) -."""
    # No loader on the page: the pinned Pyodide booted, or the loader ran in a worker, where
    # the page cannot see how it started.
    unseen = "boot" if result.get("snapshot") is False else "in the worker"
    sources = {
        dig(run, phase, "snapshot", "source") or unseen
        for run in result.get("runs") or []
        for phase in ("cold", "warm", "new_tab")
    }
    if result.get("snapshot") is None or not sources:
        return MISSING
    return "/".join(sorted(sources))


def snapshot_kb(result: Mapping[str, Any]) -> str:
    """The snapshot as the first cold start fetched it (gzipped) / as the cache keeps it."""
    runs = result.get("runs") or []
    facts = dig(runs[0], "cold", "snapshot") if runs else None
    if not facts or facts.get("wire_bytes") is None:
        return MISSING
    return f"{facts['wire_bytes'] / BYTES_PER_KB:.0f} / {facts['cached_bytes'] / BYTES_PER_KB:.0f}"


STARTUP_COLUMNS: list[tuple[str, Cell]] = [
    ("engine", lambda result: str(result.get("label") or result.get("engine"))),
    ("started from", started_from),
    ("runs", lambda result: str(len(result.get("runs") or []))),
    ("cold ms", number(0, "cold_ms")),
    ("reload ms", number(0, "warm_ms")),
    ("new tab ms", number(0, "new_tab_ms")),
    ("cold KB fetched", fetched("cold")),
    ("reload KB fetched", fetched("warm")),
    ("snapshot KB wire / cache", snapshot_kb),
    *[(f"{target.key} {MET}", flag(target)) for target in STARTUP_TARGETS],
]
COMPARE_COLUMNS: list[tuple[str, Cell]] = [
    ("panes", lambda result: " + ".join(result.get("engines") or [])),
    ("runs", lambda result: str(len(result.get("runs") or []))),
    ("both live, cold ms", number(0, "cold_ms")),
    ("both live, reload ms", number(0, "warm_ms")),
    *[(f"{target.key} {MET}", flag(target)) for target in COMPARE_TARGETS],
]


def warm_ratios(startup: Sequence[Mapping[str, Any]]) -> str:
    """Pyodide's warm start-ups (from its snapshot) over the JS engine's, in the same run."""
    by_label = {row.get("label") or row.get("engine"): row for row in startup}
    python, js = by_label.get(PYTHON), by_label.get(JS)
    if not python or not js:
        return ""
    ratios = []
    for key, name in (("warm_ms", "reload"), ("new_tab_ms", "new tab")):
        if python.get(key) and js.get(key):
            ratios.append(f"{name} {python[key] / js[key]:.1f}{TIMES}")
    if not ratios:
        return ""
    return f"Pyodide / JS warm: {', '.join(ratios)} (target ≤ {MAX_WARM_START_VS_JS:g}{TIMES})."


def legend(targets: Sequence[Target]) -> str:
    return "; ".join(target.label for target in targets)


def spread_note(rows: Sequence[Mapping[str, Any]], what: str) -> str:
    """What a table's figures are: one measurement each, or medians with their spread."""
    most = max((repetitions(row) for row in rows), default=1)
    if most == 1:
        return f"One {what} per row."
    return (
        f"Each figure is the median of {most} {what}s per row, its {SPREAD_NAME} in brackets "
        f"where they differ."
    )


def heading(data: Mapping[str, Any]) -> str:
    machine = data.get("machine") or {}
    settings = data.get("settings") or {}
    return (
        f"Tickscope benchmark, {machine.get('date')}: {machine.get('cpu')} "
        f"({machine.get('cores')} cores), Chromium {machine.get('chromium')}; "
        f"{settings.get('duration_s')} s measured after {settings.get('warmup_s')} s warm-up; "
        f"load average at start {machine.get('load_average_at_start')}"
    )


RATIO_DIGITS = 2
VALUE_DIGITS = {
    "sustainable_rate": 0,
    "latency_p95": 1,
    "handler_p50": 0,
    "render_p50": 2,
    "fps_mean": 1,
}
UNDECIDED = "-"


def sustainable_rate(entry: Mapping[str, Any]) -> str:
    rate = entry.get("highest_sustainable")
    return f"**{rate} msgs/s**" if rate is not None else str(entry.get("note"))


def highest_sustainable(summary: Mapping[str, Any]) -> str:
    rates = [
        f"{engine} {sustainable_rate(entry)}"
        for engine, entry in (summary.get("engines") or {}).items()
    ]
    return (
        f"Highest sustainable rate (the largest measured load with "
        f"{summary.get('sustainable_criteria')}): {'; '.join(rates)}."
    )


def comparison_cell(row: Mapping[str, Any], engine: str, summary: Mapping[str, Any]) -> str:
    value = row.get(engine)
    if value is None:
        name = row.get("variants", {}).get(engine, engine)  # runs from before modes: the engine
        return str(summary["engines"][name]["note"]) if row["load"] is None else MISSING
    return f"{float(value):.{VALUE_DIGITS.get(row['key'], RATIO_DIGITS)}f}"


def verdict(met: bool | None) -> str:
    return UNDECIDED if met is None else MET if met else MISSED


def comparison_columns(summary: Mapping[str, Any]) -> list[tuple[str, Cell]]:
    return [
        (f"{PYTHON} / {JS}", text("label")),
        ("batch", lambda row: str(row.get("mode", UNBATCHED))),
        ("at msgs/s", text("load")),
        (PYTHON, lambda row: comparison_cell(row, PYTHON, summary)),
        (JS, lambda row: comparison_cell(row, JS, summary)),
        ("ratio", number(RATIO_DIGITS, "ratio")),
        ("target (issue 5)", text("target")),
        ("met", lambda row: verdict(row.get("met"))),
    ]


def best_text(best: Mapping[str, Any]) -> str:
    return "none" if best["rate"] is None else f"{best['variant']} {best['rate']} msgs/s"


def ms_text(value: float | None) -> str:
    return MISSING if value is None else f"{value:.1f} ms"


def high_rate_section(high: Mapping[str, Any]) -> list[str]:
    """Issue 8: the best mode's highest rate per engine, and batching at the reference load."""
    rates = ", ".join(
        f"{name} {rate if rate is not None else 'none'}" for name, rate in high["highest"].items()
    )
    kept = ", ".join(
        f"{name} {rate if rate is not None else 'none'}"
        for name, rate in (high.get("keeps_up") or {}).items()
    )
    best = high["best"]
    ratio = high.get("ratio")
    parts = [
        "",
        f"High-rate sustainable (issue 8: {high['criteria']}), per variant: {rates}.",
        f"Best: {PYTHON} {best_text(best[PYTHON])} (>= {MIN_HIGH_RATE} msgs/s "
        f"{verdict(high.get('python_rate_met'))}); {JS} {best_text(best[JS])}; ratio "
        f"{'-' if ratio is None else f'{ratio:.2f}'} "
        f"(>= {MIN_HIGH_RATE_RATIO:g} {verdict(high.get('ratio_met'))}).",
        f"Keeps up (no gaps, >= 95 % of the expected rate received, any FPS): {kept}.",
    ]
    for row in high.get("batching_at_reference") or []:
        parts.append(
            f"At {row['load']} msgs/s, latency p95 {row['variant']} "
            f"{ms_text(row['batched_p95_ms'])} vs unbatched {ms_text(row['unbatched_p95_ms'])}: "
            f"{verdict(row['met'])}."
        )
    return parts


def summary_section(summary: Mapping[str, Any]) -> list[str]:
    parts = ["", highest_sustainable(summary)]
    rows = summary.get("comparisons") or []
    if rows:
        parts += ["", table(comparison_columns(summary), rows)]
    elif summary.get("comparisons_note"):
        parts += ["", f"Python/JS ratios: {summary['comparisons_note']}."]
    if summary.get("high_rate"):
        parts += high_rate_section(summary["high_rate"])
    return parts


def run_targets_note(rows: Sequence[Mapping[str, Any]]) -> str:
    judged = [target for target in RUN_TARGETS if target is not PANEL]
    note = f"Targets (issue 4): {legend(judged)}"
    if any(PANEL.value(row) is not None for row in rows):
        note += f"; issue 17: {PANEL.label}"
    return note + "."


def markdown(data: Mapping[str, Any]) -> str:
    rows = cells_of(data)
    parts = [heading(data), ""]
    if rows:
        parts += [
            spread_note(rows, "repetition"),
            "",
            table(run_columns(rows), rows),
            "",
            run_targets_note(rows),
        ]
    if data.get("summary"):
        parts += summary_section(data["summary"])
    startup = data.get("startup") or []
    if startup:
        parts += [
            "",
            "Start-up, navigation to live (`metrics().ready_ms`; median over runs): "
            + spread_note(startup, "run"),
            "",
            table(STARTUP_COLUMNS, startup),
            "",
            f"Targets (issue 4): {legend(STARTUP_TARGETS)}; "
            f"mpy (issue 9): {legend(MICROPYTHON_STARTUP_TARGETS)}; "
            f"Pyodide from its snapshot (issue 22): {legend(SNAPSHOT_STARTUP_TARGETS)}. "
            + warm_ratios(startup),
        ]
    compare = data.get("compare_startup")
    if compare:
        parts += [
            "",
            "/compare, from navigation until both panes are live: " + spread_note([compare], "run"),
            "",
            table(COMPARE_COLUMNS, [compare]),
        ]
    slow = data.get("slow_device") or []
    if slow:
        parts += ["", SLOW_DEVICE_NOTE, "", table(SLOW_DEVICE_COLUMNS, slow)]
    costs = data.get("indicator_cost_us")
    if costs:
        parts += ["", INDICATOR_COST_NOTE, "", indicator_cost.table(costs)]
    return "\n".join(parts) + "\n"


INDICATOR_COST_NOTE = (
    "The built-in indicators per bar (issue 21), in each engine's runtime under Node, outside "
    f"the page: µs, the median of {indicator_cost.IN_BENCH_REPEATS} means over "
    f"{indicator_cost.IN_BENCH_BARS:,} bars, and their range. Target for Pyodide: ≤ "
    f"{indicator_cost.TARGET_US:g} µs each."
)


def seconds_text(key: str) -> Cell:
    return lambda row: MISSING if row.get(key) is None else f"{row[key]:g} s"


SLOW_DEVICE_NOTE = (
    f"Slow device (issue 19): CPU throttled, batch auto, watched {WATCH_S} s. Behind: a "
    f"second's wire p95 over {MAX_WIRE_P95_MS:g} ms; the bar: back under it within "
    f"{SETTLE_S:g} s and staying there. Conflated ticks were skipped on purpose (newest "
    "shown); lost ones are gaps."
)
SLOW_DEVICE_COLUMNS: list[tuple[str, Cell]] = [
    ("engine", text("engine")),
    ("CPU", lambda row: f"{row['cpu_slowdown']}x"),
    ("msgs/s", text("load")),
    ("fell behind", lambda row: row.get("error") or seconds_text("fell_behind_s")(row)),
    ("caught up", seconds_text("caught_up_s")),
    ("worst p95 after, ms", number(0, "worst_wire_p95_after_ms")),
    ("conflated", text("conflated")),
    ("lost", text("lost")),
    ("met", lambda row: verdict(row.get("met"))),
    ("note", lambda row: row.get("note") or ""),
]
