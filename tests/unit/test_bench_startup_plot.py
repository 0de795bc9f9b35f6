"""`python -m bench.startup_plot`: where each start goes, drawn from a kept run's marks."""

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from bench.startup_plot import BOOTED, SEGMENTS, UNMARKED, main, median_run, segments
from tests.conftest import ROOT

RUN = ROOT / "bench" / "runs" / "20261204T094900Z.json"  # issue 22's start-up run
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def row(data: dict[str, Any], engine: str, snapshot: bool | None) -> dict[str, Any]:
    return next(r for r in data["startup"] if r["engine"] == engine and r["snapshot"] == snapshot)


def test_a_start_from_the_snapshot_is_split_at_its_marks_in_order() -> None:
    data = json.loads(RUN.read_text(encoding="utf-8"))
    run = median_run(row(data, "py", True), "warm")
    assert run is not None
    drawn = segments(run)
    assert [label for _, _, label, _ in drawn] == [label for _, label, _ in SEGMENTS]
    assert drawn[0][0] == 0
    for (start, width, _, _), (following, _, _, _) in itertools.pairwise(drawn):
        assert width >= 0
        assert start + width == pytest.approx(following)
    assert drawn[-1][0] + drawn[-1][1] == pytest.approx(run["ready_ms"])


def test_a_booted_start_and_the_js_engine_are_labelled_for_what_they_are() -> None:
    data = json.loads(RUN.read_text(encoding="utf-8"))
    booted = median_run(row(data, "py", False), "cold")
    assert booted is not None
    assert segments(booted)[0][2] == BOOTED[0]
    js = median_run(row(data, "js", None), "new_tab")
    assert js is not None
    assert segments(js) == [(0.0, float(js["ready_ms"]), *UNMARKED)]


def test_it_draws_a_png(tmp_path: Path) -> None:
    output = tmp_path / "startup.png"
    main([str(RUN), "--output", str(output)])
    assert output.read_bytes().startswith(PNG_SIGNATURE)
