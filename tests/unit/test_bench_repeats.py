"""`--repeat N`: a cell's repetitions become one row of medians with their min-max, judged on
the medians; the tables say so and show the spread."""

import json
from typing import Any

from bench.measure import finish
from bench.repeats import EN_DASH, cells, cells_of
from bench.report import markdown
from bench.summary import summarize
from tests.conftest import ROOT

CANONICAL = ROOT / "bench" / "runs" / "20261128T150726Z.json"


def run(
    engine: str,
    load: int,
    *,
    p95: float,
    fps: float,
    repetition: int = 1,
    mode: str = "0",
    panel_us: float | None = None,
) -> dict[str, Any]:
    metrics: dict[str, Any] = {
        "engine": engine,
        "gaps": 0,
        "latency_ms": {"mean": p95 / 2, "p50": p95 / 2, "p95": p95, "p99": p95, "n": 100},
        "wire_ms": {"p50": 5.0, "p95": 10.0},
        "handler_us": {"p50": 40.0, "p95": 90.0},
        "render_ms": {"p50": 1.0, "p95": 2.0},
        "fps": {"last": fps, "mean": fps, "min": fps},
    }
    if panel_us is not None:
        metrics["panel_us"] = {"mean": panel_us, "p95": panel_us * 2}
    return finish(
        {
            "engine": engine,
            "mode": mode,
            "load": {"target": load, "symbols": 8, "frequency_ms": 14, "expected": load + 1.0},
            "error": None,
            "went_live": True,
            "measured_rate": float(load),
            "metrics": metrics,
            "render_ms": metrics["render_ms"],
            "console_errors": {"count": 0, "first": []},
            "repetition": repetition,
        }
    )


def three(engine: str, load: int, fps: tuple[float, float, float]) -> list[dict[str, Any]]:
    return [
        run(engine, load, p95=15.0 + index, fps=value, repetition=index + 1)
        for index, value in enumerate(fps)
    ]


def test_a_cell_is_the_median_of_its_repetitions_with_min_and_max() -> None:
    [cell] = cells(three("py", 1000, (50.0, 59.0, 60.0)))
    assert cell["repetitions"] == 3
    assert cell["metrics"]["fps"]["mean"] == 59.0
    assert cell["spread"]["metrics"]["fps"]["mean"] == [50.0, 60.0]
    assert cell["metrics"]["latency_ms"]["p95"] == 16.0
    assert cell["spread"]["metrics"]["latency_ms"]["p95"] == [15.0, 17.0]
    assert cell["metrics"]["engine"] == "py"
    assert "repetition" not in cell


def test_a_cell_is_judged_on_its_medians_not_on_one_repetition() -> None:
    [cell] = cells(three("py", 1000, (50.0, 59.0, 60.0)))  # one repetition below 58 FPS
    assert cell["targets"]["fps"] is True
    [low] = cells(three("py", 1000, (50.0, 51.0, 60.0)))  # one above, the median below
    assert low["targets"]["fps"] is False
    assert low["sustainable"] is False


def test_a_failed_repetition_fails_its_cell() -> None:
    runs = three("js", 1000, (60.0, 60.0, 60.0))
    runs[1] = {**runs[1], "error": "NotLiveError: not live after 30 s"}
    [cell] = cells(runs)
    assert cell["error"] == "1 of 3 repetitions failed: NotLiveError: not live after 30 s"
    assert cell["sustainable"] is False


def test_cells_group_by_engine_mode_and_load_in_the_order_first_measured() -> None:
    runs = [
        run("py", 1000, p95=15.0, fps=60.0, repetition=1),
        run("js", 1000, p95=15.0, fps=60.0, repetition=1),
        run("py", 1000, p95=15.0, fps=60.0, repetition=1, mode="auto"),
        run("py", 1000, p95=16.0, fps=58.0, repetition=2),
        run("js", 1000, p95=15.0, fps=60.0, repetition=2),
        run("py", 1000, p95=16.0, fps=58.0, repetition=2, mode="auto"),
    ]
    assert [(cell["engine"], cell["mode"], cell["repetitions"]) for cell in cells(runs)] == [
        ("py", "0", 2),
        ("js", "0", 2),
        ("py", "auto", 2),
    ]


def test_a_run_from_before_repeat_has_one_repetition_per_cell() -> None:
    data = json.loads(CANONICAL.read_text(encoding="utf-8"))
    rows = cells_of(data)
    assert len(rows) == len(data["runs"])
    for row, measured in zip(rows, data["runs"], strict=True):
        assert row["repetitions"] == 1
        assert row["metrics"]["latency_ms"]["p95"] == measured["metrics"]["latency_ms"]["p95"]
        assert row["sustainable"] == measured["sustainable"]


def test_the_sustainable_rate_comes_from_the_medians() -> None:
    runs = [
        *three("py", 1000, (56.0, 57.0, 40.0)),  # median 56: sustainable
        *three("py", 5000, (56.0, 30.0, 31.0)),  # median 31: not, despite one repetition
        *three("js", 1000, (60.0, 60.0, 60.0)),
        *three("js", 5000, (59.0, 58.0, 60.0)),
    ]
    summary = summarize(["py", "js"], cells(runs))
    assert summary["engines"]["py"]["highest_sustainable"] == 1000
    assert summary["engines"]["js"]["highest_sustainable"] == 5000
    [rate] = [row for row in summary["comparisons"] if row["key"] == "sustainable_rate"]
    assert rate["ratio"] == 0.2


def test_the_table_shows_each_median_with_its_spread() -> None:
    runs = three("py", 1000, (50.0, 59.0, 60.0))
    text = markdown({"machine": {}, "settings": {}, "runs": runs, "cells": cells(runs)})
    assert (
        f"Each figure is the median of 3 repetitions per row, its min{EN_DASH}max in brackets "
        "where they differ." in text
    )
    assert f"| 16.0 (15.0{EN_DASH}17.0) |" in text  # latency p95
    assert f"| 59.0 (50.0{EN_DASH}60.0) |" in text  # FPS mean
    assert "| 1000 | 0 |" in text  # measured msgs/s then gaps: the same in every repetition


def test_a_single_repetition_shows_no_spread() -> None:
    runs = [run("py", 1000, p95=15.0, fps=60.0)]
    text = markdown({"machine": {}, "settings": {}, "runs": runs})
    assert "One repetition per row." in text
    assert "| 15.0 |" in text
    assert EN_DASH not in text.split("Targets")[0]


def test_the_panel_cost_is_a_column_and_a_target_only_when_engines_report_it() -> None:
    without = [run("py", 1000, p95=15.0, fps=60.0)]
    assert "panel" not in without[0]["targets"]
    assert without[0]["meets_targets"] is True
    assert "panel µs" not in markdown({"machine": {}, "settings": {}, "runs": without})

    cheap = run("py", 1000, p95=15.0, fps=60.0, panel_us=120.0)
    costly = run("js", 1000, p95=15.0, fps=60.0, panel_us=250.0)
    assert cheap["targets"]["panel"] is True
    assert costly["targets"]["panel"] is False
    assert costly["meets_targets"] is False
    text = markdown({"machine": {}, "settings": {}, "runs": [cheap, costly]})
    assert "| panel µs |" in text
    assert "| 120 |" in text
    assert "performance panel < 200 µs per frame (mean)" in text
