"""The benchmark's plot: medians with min-max error bars, drawn headless from any saved run,
including the kept runs from before `--repeat`."""

import json
from pathlib import Path
from typing import Any

import pytest
from matplotlib.container import ErrorbarContainer

from bench.measure import finish
from bench.plot import figure_of
from bench.plot.__main__ import main
from bench.repeats import EN_DASH, cells
from tests.conftest import ROOT

RUNS = ROOT / "bench" / "runs"
KEPT = sorted(RUNS.glob("2*.json"))  # the browser runs (load-, soak- and others have no plot)
CANONICAL = RUNS / "20261128T150726Z.json"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def error_bars(data: dict[str, Any]) -> list[ErrorbarContainer]:
    figure = figure_of(data)
    return [
        container
        for axes in figure.axes
        for container in axes.containers
        if isinstance(container, ErrorbarContainer)
    ]


def bar_lengths(container: ErrorbarContainer) -> list[float]:
    _, _, (bars,) = container.lines
    return [float(abs(segment[1][1] - segment[0][1])) for segment in bars.get_segments()]


@pytest.mark.parametrize("path", KEPT, ids=lambda path: path.name)
def test_the_readme_command_draws_a_kept_run(path: Path, tmp_path: Path) -> None:
    output = tmp_path / "images" / "bench.png"
    assert main([str(path), "--output", str(output)]) == 0
    assert output.read_bytes().startswith(PNG_SIGNATURE)


def test_an_old_run_has_zero_width_error_bars_one_line_per_variant_and_panel() -> None:
    data = read(CANONICAL)
    bars = error_bars(data)
    assert len(bars) == 2 * len(data["settings"]["variants"])
    assert all(length == 0.0 for bar in bars for length in bar_lengths(bar))


def test_the_plot_names_its_machine_and_date_and_every_variant() -> None:
    figure = figure_of(read(CANONICAL))
    texts = " ".join(text.get_text() for text in figure.texts)
    assert "2026-11-28 15:07:26 UTC" in texts
    assert "AMD EPYC (2 cores)" in texts
    (legend,) = figure.legends
    labels = {text.get_text() for text in legend.get_texts()}
    assert {"Pyodide, unbatched", "JavaScript, batch auto", "MicroPython, unbatched"} <= labels
    for axes in figure.axes:
        assert axes.get_xlabel()
        assert axes.get_ylabel()


def repeated(fps: list[float]) -> dict[str, Any]:
    runs = [
        finish(
            {
                "engine": "py",
                "mode": "0",
                "load": {"target": 1000, "expected": 1001.0},
                "error": None,
                "metrics": {"gaps": 0, "latency_ms": {"p95": 16.0}, "fps": {"mean": value}},
                "repetition": index + 1,
            }
        )
        for index, value in enumerate(fps)
    ]
    return {"machine": {}, "settings": {"variants": ["py"]}, "runs": runs, "cells": cells(runs)}


def test_repetitions_draw_their_min_to_max_as_an_error_bar() -> None:
    bars = error_bars(repeated([50.0, 55.0, 59.0]))
    fps_bar = bars[1]  # panels in order: latency, FPS
    assert bar_lengths(fps_bar) == [pytest.approx(9.0)]
    figure = figure_of(repeated([50.0, 55.0, 59.0]))
    assert f"median of 3 repetitions per point, error bars min{EN_DASH}max" in " ".join(
        text.get_text() for text in figure.texts
    )
