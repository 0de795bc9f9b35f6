"""`python -m bench.load`: many real WebSocket clients against Tickscope's server processes.

Each topology is a way to run the server: `memory` (one process, the default), `redis-N` (N
processes on one market through a private redis-server; clients spread evenly over them). The
servers run as subprocesses (the test suite's `start_server`); the clients run in another
process (this module with `--worker`), all in one asyncio loop, each reading as fast as it can.
This process samples the servers' (and Redis's) CPU and RSS every second. Wire latency is now -
`ts` of each message: the servers and the clients share the machine's clock.
"""

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import psutil
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench.arguments import count, positive
from bench.loads import SYSTEM_MSGS_PER_S, Load, market_rate
from bench.machine import cpu_model
from bench.progress import Progress
from bench.server import RunningServer, start_server
from bench.settings import RESULTS_DIR
from client.stats import percentile
from server.cluster import RedisProcess

SCHEMA_VERSION = 2  # 2: topologies (memory, redis-N)
MEMORY = "memory"
MAX_PROCESSES = 8
DEFAULT_SYMBOLS = 8
DEFAULT_FREQUENCY_MS = 14  # 8 symbols * 1.75 msgs per tick / 14 ms + 1 system/s ~ 1000 msgs/s
DEFAULT_CLIENTS = 10
DEFAULT_DURATION_S = 10.0
FIND_MAX_DURATION_S = 5.0
DEFAULT_WARMUP_S = 2.0
DEFAULT_SEED = 7
DEFAULT_CAP = 200
FIND_MAX_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
MAX_P95_MS = 50.0
CLIENT_MARGIN = 10  # --max-clients above N, so the limit never refuses the generator's clients
SAMPLE_EVERY_S = 1.0
CONNECT_TIMEOUT_S = 30.0
WORKER_SLACK_S = 60.0  # beyond connect + warm-up + duration before the worker is killed
CLOSE_TIMEOUT_S = 5.0
MAX_FRAME = 64 * 1024 * 1024
US_PER_MS = 1000.0
BYTES_PER_MB = 1024 * 1024
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
PERCENTILES = {"p50": 0.50, "p95": 0.95, "p99": 0.99}
DIGITS = 3  # of a latency in ms: microseconds
NOTE = (
    "The load generator runs on this machine ({cores} cores) and competes with the server for "
    "CPU: past a few dozen clients the figures bound the generator as much as the server."
)


# ---- statistics --------------------------------------------------------------------------


def latency_summary(values: list[float]) -> dict[str, float | None]:
    """p50, p95, p99 by the reference's index rule (the pages' own, client.stats), and max."""
    ordered = sorted(values)
    summary: dict[str, float | None] = {
        name: round(percentile(ordered, q), DIGITS) if ordered else None
        for name, q in PERCENTILES.items()
    }
    summary["max"] = round(ordered[-1], DIGITS) if ordered else None
    return summary


def mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


# ---- the worker: N clients in one asyncio loop -------------------------------------------


@dataclass
class Window:
    """The measured interval; clients count only what arrives while it is open."""

    open: bool = False
    start_s: float = 0.0
    end_s: float = 0.0


@dataclass
class ClientStats:
    index: int
    received: int = 0  # in the window
    gaps: int = 0  # seq numbers missed in the window
    close_code: int | None = None  # a close the client did not ask for
    close_reason: str = ""
    error: str | None = None
    latencies_ms: list[float] = field(default_factory=list)
    last_seq: int | None = None

    def on_frame(self, frame: str | bytes, window: Window) -> None:
        message = orjson.loads(frame)
        seq = message.get("seq")
        if window.open:
            self.received += 1
            if "ts" in message:
                self.latencies_ms.append((time.time_ns() // 1000 - message["ts"]) / US_PER_MS)
            if seq is not None and self.last_seq is not None and seq > self.last_seq + 1:
                self.gaps += seq - self.last_seq - 1
        if seq is not None:
            self.last_seq = seq

    def report(self, interval_s: float) -> dict[str, Any]:
        return {
            "client": self.index,
            "received": self.received,
            "rate": round(self.received / interval_s, 1),
            "latency_ms": latency_summary(self.latencies_ms),
            "gaps": self.gaps,
            "close_code": self.close_code,
            "close_reason": self.close_reason,
            "error": self.error,
        }


async def read_until_closed(connection: ClientConnection, stats: ClientStats, window: Window):
    try:
        async for frame in connection:
            stats.on_frame(frame, window)
    except ConnectionClosed as closed:
        if closed.rcvd is not None:
            stats.close_code, stats.close_reason = closed.rcvd.code, closed.rcvd.reason


async def open_client(url: str, origin: str) -> ClientConnection:
    return await connect(
        url,
        origin=origin,  # type: ignore[arg-type]
        max_size=MAX_FRAME,
        max_queue=None,
        compression=None,
        open_timeout=CONNECT_TIMEOUT_S,
        close_timeout=CLOSE_TIMEOUT_S,
    )


async def drive(targets: list[str], clients: int, warmup_s: float, duration_s: float):
    """Connect every client (round-robin over the targets, each "URL ORIGIN"), read through
    warm-up and the window, close, and summarize."""
    stats = [ClientStats(index) for index in range(clients)]
    window = Window()
    pairs = [target.split(" ", 1) for target in targets]
    opened = await asyncio.gather(
        *(open_client(*pairs[index % len(pairs)]) for index in range(clients)),
        return_exceptions=True,
    )
    readers = []
    for client, connection in zip(stats, opened, strict=True):
        if isinstance(connection, ClientConnection):
            readers.append(asyncio.create_task(read_until_closed(connection, client, window)))
        else:
            client.error = f"{type(connection).__name__}: {connection}"
    await asyncio.sleep(warmup_s)
    window.open, window.start_s = True, time.time()
    await asyncio.sleep(duration_s)
    window.open, window.end_s = False, time.time()
    unexpected = {client.index for client in stats if client.close_code is not None}
    live = [c for c in opened if isinstance(c, ClientConnection)]
    await asyncio.gather(*(connection.close() for connection in live), return_exceptions=True)
    await asyncio.gather(*readers, return_exceptions=True)
    for client in stats:  # the closes we asked for are not the server's doing
        if client.index not in unexpected:
            client.close_code, client.close_reason = None, ""
    return summarize_clients(stats, window)


def summarize_clients(stats: list[ClientStats], window: Window) -> dict[str, Any]:
    interval_s = window.end_s - window.start_s
    every_latency = [value for client in stats for value in client.latencies_ms]
    return {
        "window_start": window.start_s,
        "window_end": window.end_s,
        "interval_s": round(interval_s, 3),
        "latency_ms": latency_summary(every_latency),
        "clients": [client.report(interval_s) for client in stats],
    }


def run_worker(args: argparse.Namespace) -> int:
    result = asyncio.run(drive(args.target, args.clients, args.warmup, args.duration))
    Path(args.result).write_text(json.dumps(result), encoding="utf-8")
    return 0


# ---- the driver: server, worker, samples -------------------------------------------------


@dataclass(frozen=True)
class Sample:
    at: float  # epoch seconds
    cpu_pct: float
    rss_mb: float


@dataclass(frozen=True)
class StepSettings:
    symbols: int
    frequency_ms: int
    warmup_s: float
    duration_s: float
    seed: int

    def server_args(self, clients: int) -> tuple[str, ...]:
        rate = round(expected_rate(self.symbols, self.frequency_ms))
        market = Load(rate, self.symbols, self.frequency_ms)
        return (
            *market.server_args(self.seed),
            "--max-clients",
            str(clients + CLIENT_MARGIN),
            "--log-level",
            "warning",
        )


@dataclass(frozen=True)
class Topology:
    """How the server runs: `memory` (one process) or `redis-N` (N processes, one Redis)."""

    name: str
    processes: int
    redis: bool

    @classmethod
    def parse(cls, text: str) -> "Topology":
        if text == MEMORY:
            return cls(text, 1, redis=False)
        prefix, _, count = text.partition("-")
        if prefix == "redis" and count.isdigit() and 1 <= int(count) <= MAX_PROCESSES:
            return cls(text, int(count), redis=True)
        raise argparse.ArgumentTypeError(
            f"{text!r}: use memory or redis-N (N processes on one Redis, 1-{MAX_PROCESSES})"
        )


def worker_command(
    servers: list[RunningServer], clients: int, settings: StepSettings, result: Path
) -> list[str]:
    targets = [arg for s in servers for arg in ("--target", f"{s.ws_url} {s.origin}")]
    return [
        sys.executable,
        "-m",
        "bench.load",
        "--worker",
        *targets,
        "--clients",
        str(clients),
        "--warmup",
        str(settings.warmup_s),
        "--duration",
        str(settings.duration_s),
        "--result",
        str(result),
    ]


def sample_while(
    worker: subprocess.Popen[bytes], servers: list[psutil.Process], timeout_s: float
) -> list[Sample]:
    """Sample the servers (summed) every second until the worker exits; kill the worker at
    `timeout_s`."""
    samples: list[Sample] = []
    for server in servers:
        server.cpu_percent(None)  # the first reading only starts the interval
    deadline = time.monotonic() + timeout_s
    while worker.poll() is None:
        if time.monotonic() > deadline:
            worker.kill()
            worker.wait()
            break
        time.sleep(SAMPLE_EVERY_S)
        memory = sum(server.memory_info().rss for server in servers) / BYTES_PER_MB
        cpu = sum(server.cpu_percent(None) for server in servers)
        samples.append(Sample(time.time(), round(cpu, 1), round(memory, 1)))
    return samples


def server_summary(samples: list[Sample], start_s: float, end_s: float) -> dict[str, Any]:
    inside = [sample for sample in samples if start_s <= sample.at <= end_s + SAMPLE_EVERY_S]
    cpu = [sample.cpu_pct for sample in inside]
    rss = [sample.rss_mb for sample in inside]
    return {
        "cpu_pct": {"mean": mean(cpu), "max": max(cpu, default=None)},
        "rss_mb": {"mean": mean(rss), "max": max(rss, default=None)},
        "samples": [asdict(sample) for sample in samples],
    }


def step_verdict(step: dict[str, Any], clients: int) -> bool:
    """Zero gaps, no lost client, p95 under the limit for every client."""
    per_client = step["clients_detail"]
    p95s = [client["latency_ms"]["p95"] for client in per_client]
    return (
        step["gaps"] == 0
        and not step["closes"]
        and len(per_client) == clients
        and all(client["error"] is None and client["received"] > 0 for client in per_client)
        and all(p95 is not None and p95 < MAX_P95_MS for p95 in p95s)
    )


def closes_by_code(clients: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for client in clients:
        if client["close_code"] is not None:
            key = str(client["close_code"])
            counts[key] = counts.get(key, 0) + 1
    return counts


def combine(
    clients: int, topology: Topology, worker: dict[str, Any], samples: list[Sample]
) -> dict[str, Any]:
    per_client = worker["clients"]
    rates = [client["rate"] for client in per_client]
    step: dict[str, Any] = {
        "topology": topology.name,
        "processes": topology.processes,
        "clients": clients,
        "error": None,
        "interval_s": worker["interval_s"],
        "total_rate": round(sum(rates), 1),
        "per_client_rate": {"mean": mean(rates), "min": min(rates, default=None)},
        "latency_ms": worker["latency_ms"],
        "worst_client_p95_ms": max(
            (c["latency_ms"]["p95"] for c in per_client if c["latency_ms"]["p95"] is not None),
            default=None,
        ),
        "gaps": sum(client["gaps"] for client in per_client),
        "closes": closes_by_code(per_client),
        "connect_errors": sum(client["error"] is not None for client in per_client),
        "server": server_summary(samples, worker["window_start"], worker["window_end"]),
        "clients_detail": per_client,
    }
    step["ok"] = step_verdict(step, clients)
    return step


def failed_step(clients: int, topology: Topology, error: str) -> dict[str, Any]:
    return {"topology": topology.name, "clients": clients, "error": error, "ok": False}


def start_topology(
    stack: contextlib.ExitStack, topology: Topology, args: tuple[str, ...]
) -> tuple[list[RunningServer], list[psutil.Process]]:
    """Start the servers (and Redis) of a topology; the stack stops them."""
    if not topology.redis:
        server = stack.enter_context(start_server(*args))
        return [server], [psutil.Process(server.process.pid)]
    redis = stack.enter_context(RedisProcess())
    assert redis.process is not None
    servers = [
        stack.enter_context(start_server(*args, "--broker", redis.url))
        for _ in range(topology.processes)
    ]
    processes = [psutil.Process(s.process.pid) for s in servers]
    return servers, [*processes, psutil.Process(redis.process.pid)]


def run_step(
    clients: int, settings: StepSettings, topology: Topology, progress: Progress
) -> dict[str, Any]:
    progress.step(f"{topology.name}, {clients} clients: starting the servers")
    try:
        with (
            contextlib.ExitStack() as stack,
            tempfile.TemporaryDirectory(prefix="tickscope-load-") as scratch,
        ):
            servers, sampled = start_topology(stack, topology, settings.server_args(clients))
            result = Path(scratch) / "worker.json"
            command = worker_command(servers, clients, settings, result)
            worker = subprocess.Popen(command, cwd=Path(__file__).resolve().parent.parent)
            budget = CONNECT_TIMEOUT_S + settings.warmup_s + settings.duration_s + WORKER_SLACK_S
            samples = sample_while(worker, sampled, budget)
            if worker.returncode != 0 or not result.exists():
                return failed_step(clients, topology, f"worker exited with {worker.returncode}")
            worker_result = json.loads(result.read_text(encoding="utf-8"))
            step = combine(clients, topology, worker_result, samples)
    except RuntimeError as error:  # a server or Redis did not start
        return failed_step(clients, topology, str(error))
    progress.step(f"{topology.name}, {clients} clients: {describe(step)}")
    return step


def describe(step: dict[str, Any]) -> str:
    latency = step["latency_ms"]
    return (
        f"{step['total_rate']:.0f} msgs/s, p95 {latency['p95']} ms, gaps {step['gaps']}, "
        f"closes {step['closes'] or 'none'}, {'OK' if step['ok'] else 'NOT OK'}"
    )


def find_max_steps(cap: int) -> Iterator[int]:
    yield from (count for count in FIND_MAX_STEPS if count <= cap)


def find_max(
    settings: StepSettings, topology: Topology, cap: int, progress: Progress
) -> list[dict[str, Any]]:
    """Step the client count up until a step fails its targets (or the cap is reached)."""
    steps = []
    for clients in find_max_steps(cap):
        step = run_step(clients, settings, topology, progress)
        steps.append(step)
        if not step["ok"]:
            break
    return steps


def largest_ok(steps: list[dict[str, Any]]) -> int | None:
    passed = [step["clients"] for step in steps if step["ok"]]
    return max(passed, default=None)


def find_max_summary(steps: list[dict[str, Any]], topology: Topology, cap: int) -> dict[str, Any]:
    return {
        "topology": topology.name,
        "cap": cap,
        "largest_ok": largest_ok(steps),
        "every_step_ok": all(step["ok"] for step in steps),
    }


# ---- report ------------------------------------------------------------------------------


def cell(value: Any) -> str:
    return "-" if value is None else str(value)


HEADER = (
    "| topology | clients | msgs/s total | msgs/s per client (mean / min) | p50 ms | p95 ms "
    "| p99 ms | worst client p95 ms | gaps | closes | server CPU % (mean / max) "
    "| server RSS MB (max) | ok |"
)
RULE = "|" + "---|" * (HEADER.count("|") - 1)


def table_row(step: dict[str, Any]) -> str:
    if step["error"]:
        return f"| {step['topology']} | {step['clients']} | error: {step['error']} |" + " |" * 10
    latency, server = step["latency_ms"], step["server"]
    closes = ", ".join(f"{code} x{n}" for code, n in step["closes"].items()) or "0"
    return (
        f"| {step['topology']} | {step['clients']} | {step['total_rate']:.0f} "
        f"| {cell(step['per_client_rate']['mean'])} / {cell(step['per_client_rate']['min'])} "
        f"| {cell(latency['p50'])} | {cell(latency['p95'])} | {cell(latency['p99'])} "
        f"| {cell(step['worst_client_p95_ms'])} | {step['gaps']} | {closes} "
        f"| {cell(server['cpu_pct']['mean'])} / {cell(server['cpu_pct']['max'])} "
        f"| {cell(server['rss_mb']['max'])} | {'yes' if step['ok'] else 'no'} |"
    )


def find_max_line(found: dict[str, Any]) -> str:
    line = (
        f"{found['topology']}: largest client count with zero gaps and p95 < {MAX_P95_MS:g} ms "
        f"(cap {found['cap']}): {cell(found['largest_ok'])}"
    )
    above = (
        " (every step passed: the real limit is at least the cap)" if found["every_step_ok"] else ""
    )
    return line + above


def markdown(data: dict[str, Any]) -> str:
    settings = data["settings"]
    lines = [
        f"Load: {settings['symbols']} symbols every {settings['frequency_ms']} ms "
        f"(~{settings['expected_per_client']:.0f} msgs/s per client), "
        f"{settings['duration_s']:g} s measured after {settings['warmup_s']:g} s warm-up.",
        data["note"],
        "",
        HEADER,
        RULE,
        *(table_row(step) for step in data["runs"]),
    ]
    if data["find_max"] is not None:
        lines += ["", *(find_max_line(found) for found in data["find_max"])]
    return "\n".join(lines)


def expected_rate(symbols: int, frequency_ms: int) -> float:
    return market_rate(symbols, frequency_ms) + SYSTEM_MSGS_PER_S


def output_path(directory: Path, started: datetime) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"load-{started.strftime(STAMP_FORMAT)}.json"


def run(args: argparse.Namespace, progress: Progress) -> dict[str, Any]:
    started = datetime.now(UTC)
    duration = args.duration or (FIND_MAX_DURATION_S if args.find_max else DEFAULT_DURATION_S)
    settings = StepSettings(args.symbols, args.frequency_ms, args.warmup, duration, args.seed)
    cores = os.cpu_count() or 1
    progress.step(NOTE.format(cores=cores))
    steps: list[dict[str, Any]] = []
    found = []
    for topology in args.topologies:
        if args.find_max:
            steps_of_topology = find_max(settings, topology, args.cap, progress)
            found.append(find_max_summary(steps_of_topology, topology, args.cap))
        else:
            steps_of_topology = [run_step(args.clients, settings, topology, progress)]
        steps += steps_of_topology
    return {
        "schema": SCHEMA_VERSION,
        "started_at": started.isoformat(timespec="seconds"),
        "machine": {"cores": cores, "cpu": cpu_model(), "python": sys.version.split()[0]},
        "note": NOTE.format(cores=cores),
        "settings": {
            "clients": None if args.find_max else args.clients,
            "symbols": args.symbols,
            "frequency_ms": args.frequency_ms,
            "expected_per_client": round(expected_rate(args.symbols, args.frequency_ms), 1),
            "duration_s": duration,
            "warmup_s": args.warmup,
            "seed": args.seed,
            "max_p95_ms": MAX_P95_MS,
        },
        "runs": steps,
        "topologies": [topology.name for topology in args.topologies],
        "find_max": found if args.find_max else None,
    }


# ---- command line ------------------------------------------------------------------------


def topologies(text: str) -> list[Topology]:
    return [Topology.parse(name.strip()) for name in text.split(",")]


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    cli.add_argument("--clients", type=count, default=DEFAULT_CLIENTS)
    cli.add_argument(
        "--duration",
        type=positive,
        help=f"seconds measured (default {DEFAULT_DURATION_S:g}; {FIND_MAX_DURATION_S:g} "
        "per step with --find-max)",
    )
    cli.add_argument("--warmup", type=float, default=DEFAULT_WARMUP_S)
    cli.add_argument("--symbols", type=count, default=DEFAULT_SYMBOLS)
    cli.add_argument("--frequency-ms", type=count, default=DEFAULT_FREQUENCY_MS)
    cli.add_argument("--seed", type=int, default=DEFAULT_SEED)
    cli.add_argument(
        "--output",
        type=Path,
        default=RESULTS_DIR,
        help="directory for the JSON (default %(default)s, git-ignored)",
    )
    cli.add_argument(
        "--find-max",
        action="store_true",
        help=f"step clients through {', '.join(map(str, FIND_MAX_STEPS))} up to --cap; report "
        f"the largest with zero gaps and p95 < {MAX_P95_MS:g} ms",
    )
    cli.add_argument("--cap", type=count, default=DEFAULT_CAP)
    cli.add_argument(
        "--topologies",
        type=topologies,
        default=[Topology.parse(MEMORY)],
        help="comma list of memory and redis-N (N processes on one Redis), e.g. "
        "memory,redis-1,redis-2 (default memory)",
    )
    cli.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    cli.add_argument("--target", action="append", help=argparse.SUPPRESS)
    cli.add_argument("--result", help=argparse.SUPPRESS)
    return cli


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.worker:
        return run_worker(args)
    progress = Progress()
    data = run(args, progress)
    path = output_path(args.output, datetime.fromisoformat(data["started_at"]))
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(markdown(data))
    progress.step(f"wrote {path}")
    return 0 if all(step["error"] is None for step in data["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
