"""`python -m bench --quick` once, on the default engines, and a small `--repeat 2` run on the JS
engine: the output's structure, never its values (the benchmark reports numbers; tests don't
time anything).

The benchmark runs as a subprocess: this session may already run Playwright's sync API in
this thread, and a second one cannot start beside it.
"""

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, start_server
from tests.e2e.results import has_keys, is_number

BENCH_TIMEOUT_S = 360  # a safety net, not a measurement: --quick (2 engines x 2 modes x 2 loads)
# takes about 95 s alone here, several times that on a machine shared with other suites
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(BENCH_TIMEOUT_S + 30)]

# The default engines but the worker (which the full benchmark measures): the output's structure
# is the same for every engine, and each one costs the suite most of a minute here.
ENGINES = ["py", "js", "mpy"]
RATIOS_MEASURED = {"py", "js"}.issubset(ENGINES)  # the Python/JS ratios need both
QUICK_LOAD_COUNT = 2
QUICK_MODES = ["0", "auto"]  # batch modes, a dimension like engines
VARIANTS = [
    engine if mode == "0" else f"{engine}+{mode}" for engine in ENGINES for mode in QUICK_MODES
]
HIGH_RATE = {"criteria", "highest", "best", "ratio", "batching_at_reference"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
STDERR_TAIL_CHARS = 4000  # of the progress log, when the run fails
# The repeated run: cheap (the JS engine goes live at once), one cell measured twice.
REPEAT = 2
REPEAT_ENGINE = "js"
REPEAT_LOAD = 1000
REPEAT_TIMEOUT_S = 120
EN_DASH = "\N{EN DASH}"

# metrics() as every engine reports it: a field, or a field's sub-fields.
METRICS: dict[str, tuple[str, ...]] = {
    "engine": (),
    "state": (),
    "received": (),
    "gaps": (),
    "conflated": (),
    "rate": (),
    "latency_ms": ("mean", "p50", "p95", "p99", "n"),
    "wire_ms": ("p50", "p95"),
    "handler_us": ("p50", "p95"),
    "render_ms": ("p50", "p95"),
    "fps": ("last", "mean", "min"),
    "ready_ms": (),
    "batch": (),
}
TEXT_METRICS = {"engine", "state", "batch"}
MACHINE = {"platform", "cpu", "cores", "python", "chromium", "playwright", "date", "code"}
SETTINGS = {
    "engines",
    "loads",
    "duration_s",
    "warmup_s",
    "startup",
    "startup_runs",
    "repeat",
    "quick",
}
RUN = {
    "engine",
    "load",
    "error",
    "went_live",
    "ready_ms",
    "interval_s",
    "measured_rate",
    "metrics",
    "long_tasks",
    "heap",
    "server",
    "console_errors",
    "targets",
    "meets_targets",
    "sustainable",
    "sustainable_checks",
    "repetition",
}
CELL = (RUN - {"repetition"}) | {"repetitions", "spread"}
LOAD = {"target", "symbols", "frequency_ms", "expected"}
SERVER = {"published", "sent", "dropped"}
STARTUP = {
    "engine",
    "label",
    "snapshot",
    "error",
    "runs",
    "cold_ms",
    "warm_ms",
    "new_tab_ms",
    "spread",
    "targets",
}
# Pyodide's start-ups are measured from its snapshot, then booted the normal way.
STARTUP_ROWS = [("py", True), ("py", False), ("js", None), ("mpy", None)]
COMPARE_STARTUP = {"engines", "error", "runs", "cold_ms", "warm_ms", "targets"}
SUMMARY_ENGINE = {"measured_loads", "sustainable_loads", "highest_sustainable"}
COMPARISON = {
    "key",
    "mode",
    "variants",
    "label",
    "load",
    "py",
    "js",
    "ratio",
    "target",
    "limit",
    "met",
    "note",
}
RATIOS_AT_LOAD = {"latency_p95", "handler_p50", "render_p50", "fps_mean"}
RATE_RATIO = "sustainable_rate"


@dataclass(frozen=True)
class Bench:
    returncode: int
    stdout: str
    stderr: str
    directory: Path

    def result(self) -> dict[str, Any]:
        (path,) = self.directory.glob("*.json")
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data


def run_bench(directory: Path, args: list[str], timeout_s: float) -> Bench:
    done = subprocess.run(
        [sys.executable, "-m", "bench", *args, "--output", str(directory)],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    return Bench(done.returncode, done.stdout, done.stderr, directory)


def completed(bench: Bench) -> dict[str, Any]:
    log = bench.stderr[-STDERR_TAIL_CHARS:]
    assert bench.returncode == 0, f"python -m bench failed:\n{log}"
    return bench.result()


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Bench:
    directory = tmp_path_factory.mktemp("bench")
    return run_bench(directory, ["--quick", "--engines", ",".join(ENGINES)], BENCH_TIMEOUT_S)


@pytest.fixture(scope="module")
def result(bench: Bench) -> dict[str, Any]:
    return completed(bench)


@pytest.fixture(scope="module")
def repeated(tmp_path_factory: pytest.TempPathFactory) -> Bench:
    directory = tmp_path_factory.mktemp("repeated")
    args = ["--quick", "--engines", REPEAT_ENGINE, "--modes", "0", "--loads", str(REPEAT_LOAD)]
    return run_bench(directory, [*args, "--no-startup", "--repeat", str(REPEAT)], REPEAT_TIMEOUT_S)


def test_records_machine_and_settings(result: dict[str, Any]) -> None:
    has_keys(result["machine"], MACHINE, "machine")
    has_keys(result["settings"], SETTINGS, "settings")
    assert result["settings"]["quick"] is True
    assert result["settings"]["repeat"] == 1
    assert result["settings"]["engines"] == ENGINES
    assert len(result["settings"]["loads"]) == QUICK_LOAD_COUNT


def test_one_complete_run_per_engine_and_load(result: dict[str, Any]) -> None:
    loads = result["settings"]["loads"]
    measured = sorted((run["engine"], run["mode"], run["load"]["target"]) for run in result["runs"])
    assert measured == sorted(
        (engine, mode, load) for engine in ENGINES for mode in QUICK_MODES for load in loads
    )
    for run in result["runs"]:
        where = f"{run['engine']} @ {run['load']['target']}"
        assert run["error"] is None, f"{where}: {run['error']}"
        has_keys(run, RUN, where)
        has_keys(run["load"], LOAD, f"{where} load")
        has_keys(run["server"], SERVER, f"{where} server")
        assert isinstance(run["sustainable"], bool)
        assert run["repetition"] == 1


def test_one_cell_per_run_without_repeat(result: dict[str, Any]) -> None:
    assert len(result["cells"]) == len(result["runs"])
    for cell, run in zip(result["cells"], result["runs"], strict=True):
        has_keys(cell, CELL, f"{cell['engine']} @ {cell['load']['target']} cell")
        assert cell["repetitions"] == 1
        assert cell["metrics"]["latency_ms"]["p95"] == run["metrics"]["latency_ms"]["p95"]


def test_every_run_has_every_metric(result: dict[str, Any]) -> None:
    for run in result["runs"]:
        where = f"{run['engine']} @ {run['load']['target']} metrics"
        metrics = run["metrics"]
        has_keys(metrics, set(METRICS), where)
        assert metrics["engine"] == run["engine"]
        assert metrics["batch"] == run["mode"], "the page runs the batch mode asked for"
        for name, fields in METRICS.items():
            if name in TEXT_METRICS:
                assert isinstance(metrics[name], str), f"{where}.{name}"
            elif not fields:
                assert is_number(metrics[name]), f"{where}.{name} = {metrics[name]!r}"
            else:
                has_keys(metrics[name], set(fields), f"{where}.{name}")
                for field in fields:
                    value = metrics[name][field]
                    assert is_number(value), f"{where}.{name}.{field} = {value!r}"


def test_start_up_cold_and_warm_per_engine(result: dict[str, Any]) -> None:
    assert [(entry["engine"], entry["snapshot"]) for entry in result["startup"]] == STARTUP_ROWS
    for entry in result["startup"]:
        has_keys(entry, STARTUP, f"{entry['label']} start-up")
        assert entry["error"] is None, entry["error"]
        for phase in ("cold_ms", "warm_ms", "new_tab_ms"):
            assert is_number(entry[phase]), (entry["label"], phase)
    started = [run["cold"]["snapshot"]["source"] for run in result["startup"][0]["runs"]]
    assert started == ["snapshot"] * len(started)
    compare = result["compare_startup"]
    has_keys(compare, COMPARE_STARTUP, "/compare start-up")
    assert compare["error"] is None, compare["error"]
    assert is_number(compare["cold_ms"])
    assert is_number(compare["warm_ms"])


def test_summary_has_sustainable_rates_and_ratios(result: dict[str, Any]) -> None:
    summary = result["summary"]
    assert set(summary["engines"]) == set(VARIANTS)
    has_keys(summary["high_rate"], HIGH_RATE, "summary high_rate")
    assert set(summary["high_rate"]["highest"]) == set(VARIANTS)
    for engine, entry in summary["engines"].items():
        has_keys(entry, SUMMARY_ENGINE, f"summary {engine}")
        assert entry["highest_sustainable"] is None or is_number(entry["highest_sustainable"])
    rows = summary["comparisons"]
    if not RATIOS_MEASURED:
        assert rows == []
        assert summary["comparisons_note"]
        return
    for row in rows:
        has_keys(row, COMPARISON, f"comparison {row.get('key')}")
    # Every mode both were measured in, the dashboard's default (auto) first.
    assert list(dict.fromkeys(row["mode"] for row in rows)) == ["auto", "0"]
    for mode in QUICK_MODES:
        mine = [row for row in rows if row["mode"] == mode]
        assert [row["key"] for row in mine if row["load"] is None] == [RATE_RATIO]
        assert {row["key"] for row in mine if row["load"] is not None} == RATIOS_AT_LOAD


def test_prints_the_tables(bench: Bench, result: dict[str, Any]) -> None:
    assert "| engine | batch | target msgs/s |" in bench.stdout
    assert "High-rate sustainable" in bench.stdout
    assert "Highest sustainable rate" in bench.stdout
    if RATIOS_MEASURED:
        assert "| py / js |" in bench.stdout


def test_draws_the_plot_beside_the_result(bench: Bench, result: dict[str, Any]) -> None:
    plot = bench.directory / result["plot"]
    assert plot.suffix == ".png"
    assert plot.read_bytes().startswith(PNG_SIGNATURE)
    assert f"Wrote {bench.directory}" in bench.stdout


def test_repeat_keeps_every_repetition_and_reports_the_medians(repeated: Bench) -> None:
    data = completed(repeated)
    assert data["settings"]["repeat"] == REPEAT
    assert sorted(run["repetition"] for run in data["runs"]) == list(range(1, REPEAT + 1))
    for run in data["runs"]:
        assert run["error"] is None, run["error"]
        has_keys(run, RUN, f"repetition {run['repetition']}")
    (cell,) = data["cells"]
    has_keys(cell, CELL, "cell")
    assert cell["repetitions"] == REPEAT
    p95s = [run["metrics"]["latency_ms"]["p95"] for run in data["runs"]]
    assert cell["spread"]["metrics"]["latency_ms"]["p95"] == [min(p95s), max(p95s)]
    assert cell["metrics"]["latency_ms"]["p95"] == sum(p95s) / REPEAT  # the median of two
    assert data["summary"]["engines"][REPEAT_ENGINE]["measured_loads"] == [REPEAT_LOAD]
    assert f"the median of {REPEAT} repetitions per row, its min{EN_DASH}max" in repeated.stdout
    assert (repeated.directory / data["plot"]).read_bytes().startswith(PNG_SIGNATURE)


def test_the_bench_measures_an_engine_on_a_replayed_recording(tmp_path: Path) -> None:
    recording = tmp_path / "recording"
    with start_server("--frequency-ms", "10", "--record", str(recording)):
        time.sleep(2.0)  # about 2,800 messages recorded, at their own pace
    source = f"replay://{recording}?loop=1"
    args = ["--source", source, "--engines", REPEAT_ENGINE, "--modes", "auto", "--no-startup",
            "--no-slow-device", "--duration", "2", "--warmup", "1"]  # fmt: skip
    data = completed(run_bench(tmp_path / "out", args, REPEAT_TIMEOUT_S))
    assert data["settings"]["source"] == source
    (run,) = data["runs"]
    assert run["error"] is None, run["error"]
    assert run["load"]["source"] == source
    assert 1000 < run["load"]["expected"] < 2000  # the recording's own rate, ~1,400 msgs/s
    assert run["metrics"]["received"] > 0
