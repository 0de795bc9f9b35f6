"""`python -m bench.soak` for one minute and `python -m bench.load` for three seconds, each as a
subprocess (this session may already run Playwright's sync API in this thread).

The soak asserts only that nothing grows without bound (generous limits: a minute is short and
the heap is noisy); the load generator's output is checked for structure, never for values.
"""

import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.e2e.results import has_keys, is_number

SOAK_SECONDS = 60
SOAK_MAX_GROWTH_PCT = 50  # generous: `make soak` holds 10 % over ten minutes
SOAK_TIMEOUT_S = SOAK_SECONDS + 150  # a safety net: Pyodide's start-up, then the minute
LOAD_CLIENTS = 3
LOAD_SECONDS = 3
LOAD_TIMEOUT_S = 90
STDERR_TAIL_CHARS = 4000

pytestmark = pytest.mark.e2e

SAMPLE = {"t_s", "server_rss_mb", "js_heap_mb", "received"}
SOAK_MACHINE = {"cpu", "cores", "chromium", "date", "code", "load_average_at_start"}
GROWTH = {"samples_after_warmup", "server_rss_pct", "js_heap_pct", "limit_pct", "under_limit"}
LOAD_TOP = {
    "schema",
    "started_at",
    "machine",
    "note",
    "settings",
    "runs",
    "topologies",
    "find_max",
}
LOAD_SETTINGS = {
    "clients",
    "symbols",
    "frequency_ms",
    "expected_per_client",
    "duration_s",
    "warmup_s",
    "seed",
    "max_p95_ms",
}
LOAD_RUN = {
    "topology",
    "processes",
    "clients",
    "error",
    "ok",
    "interval_s",
    "total_rate",
    "per_client_rate",
    "latency_ms",
    "worst_client_p95_ms",
    "gaps",
    "closes",
    "connect_errors",
    "server",
    "clients_detail",
}
LATENCY = {"p50", "p95", "p99", "max"}
SERVER = {"cpu_pct", "rss_mb", "samples"}
CLIENT = {
    "client",
    "received",
    "rate",
    "latency_ms",
    "gaps",
    "close_code",
    "close_reason",
    "error",
}


def run_module(module: str, args: list[str], timeout_s: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )


def only_json(directory: Path) -> dict[str, Any]:
    (path,) = directory.glob("*.json")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.mark.timeout(SOAK_TIMEOUT_S + 30)
def test_soak_minute_has_no_unbounded_growth(tmp_path: Path) -> None:
    args = ["--seconds", str(SOAK_SECONDS), "--max-growth", str(SOAK_MAX_GROWTH_PCT)]
    done = run_module("bench.soak", [*args, "--output", str(tmp_path)], SOAK_TIMEOUT_S)
    assert done.returncode == 0, (
        f"bench.soak exited {done.returncode}:\n" + (done.stdout + done.stderr)[-STDERR_TAIL_CHARS:]
    )
    data = only_json(tmp_path)
    has_keys(data["machine"], SOAK_MACHINE, "machine")
    for sample in data["samples"]:
        has_keys(sample, SAMPLE, "sample")
    has_keys(data["growth"], GROWTH, "growth")
    growth = data["growth"]
    assert growth["samples_after_warmup"] >= 2
    assert growth["server_rss_pct"] < SOAK_MAX_GROWTH_PCT, growth
    assert growth["js_heap_pct"] < SOAK_MAX_GROWTH_PCT, growth
    received = [sample["received"] for sample in data["samples"]]
    assert all(a < b for a, b in itertools.pairwise(received)), received
    assert "Growth after warm-up" in done.stdout


@pytest.mark.timeout(LOAD_TIMEOUT_S + 30)
def test_load_generator_runs(tmp_path: Path) -> None:
    args = ["--clients", str(LOAD_CLIENTS), "--duration", str(LOAD_SECONDS)]
    args += ["--topologies", "memory,redis-2"]
    done = run_module("bench.load", [*args, "--output", str(tmp_path)], LOAD_TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-STDERR_TAIL_CHARS:]
    data = only_json(tmp_path)
    has_keys(data, LOAD_TOP, "result")
    has_keys(data["settings"], LOAD_SETTINGS, "settings")
    assert data["find_max"] is None
    assert [run["topology"] for run in data["runs"]] == ["memory", "redis-2"]
    for run in data["runs"]:
        check_load_run(run)
    assert "| topology | clients | msgs/s total |" in done.stdout
    assert "competes with the server for CPU" in done.stdout


def check_load_run(run: dict[str, Any]) -> None:
    has_keys(run, LOAD_RUN, "run")
    assert run["error"] is None
    assert isinstance(run["ok"], bool)
    assert all(is_number(run[name]) for name in ("interval_s", "total_rate", "gaps"))
    has_keys(run["latency_ms"], LATENCY, "latency_ms")
    has_keys(run["server"], SERVER, "server")
    assert isinstance(run["closes"], dict)
    assert len(run["clients_detail"]) == LOAD_CLIENTS
    for client in run["clients_detail"]:
        has_keys(client, CLIENT, f"client {client.get('client')}")
        has_keys(client["latency_ms"], LATENCY, "client latency_ms")
        assert isinstance(client["received"], int)
        assert is_number(client["rate"])
