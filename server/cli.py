"""The command line: `tickscope` or `python -m server` parses its arguments, builds the
settings and runs uvicorn on a socket of our own.

With --port 0 the OS picks a free port; the real URL is printed as
`Tickscope listening on http://HOST:PORT` once the socket accepts connections
(server/launch.py waits for that line).
"""

import argparse
import asyncio
import contextlib
import logging
import socket
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import NoReturn, TypeVar

import uvicorn

from client.protocol import DEFAULT_FREQUENCY_MS, MAX_FREQUENCY_MS, MIN_FREQUENCY_MS
from server.app import create_app
from server.brokers import BrokerUnavailableError, check_url, preflight
from server.history import check_url as check_history_url
from server.history import history_class, parse_duration
from server.hub import DEFAULT_GRACE_S, DEFAULT_QUEUE_BYTES, DEFAULT_QUEUE_LIMIT
from server.limits import DEFAULT_MAX_CLIENTS, normalize_origin
from server.services import Services
from server.settings import (
    CONTROL_FRAME_LIMIT,
    DEFAULT_BROKER,
    DEFAULT_FAILOVER_AFTER_S,
    DEFAULT_HISTORY,
    DEFAULT_HOST,
    DEFAULT_PING_INTERVAL_S,
    DEFAULT_PING_TIMEOUT_S,
    DEFAULT_PORT,
    DEFAULT_RECORD_SEGMENT_BYTES,
    DEFAULT_RETENTION_S,
    DEFAULT_SOURCE,
    Settings,
)
from server.simulator import DEFAULT_SYMBOL_COUNT, MAX_SYMBOLS, default_symbols
from server.sources import SourceError, market_source
from server.sources import check_url as check_source_url
from server.vendor import MissingVendorError

LISTENING = "Tickscope listening on "  # then the URL: what launchers and tests wait for
MAX_PORT = 65535
BYTES_PER_MB = 1024 * 1024
SEND_BUFFER_BYTES = 256 * 1024
LISTEN_BACKLOG = 2048  # connections the kernel holds for accept(): a burst waits, not fails
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
MODULE_PROG = "python -m server"
SCRIPT_PROG = "tickscope"  # the console script ([project.scripts])
INTERRUPTED = 130  # the shell's code for a process ended by SIGINT
T = TypeVar("T")


class OneLineParser(argparse.ArgumentParser):
    """Bad arguments end with one line a person can act on, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"must be from 0 to {MAX_PORT}, got {value}")
    return value


def argument(check: Callable[[str], T], name: str, prefix: str = "") -> Callable[[str], T]:
    """An argparse type from a checker that raises ValueError: its message, less `prefix`
    (argparse names the option already), becomes the one-line error. argparse names the
    converter in its message, hence `name`."""

    def convert(text: str) -> T:
        try:
            return check(text)
        except ValueError as bad:
            raise argparse.ArgumentTypeError(str(bad).removeprefix(prefix)) from None

    convert.__name__ = name
    return convert


broker_url = argument(check_url, "URL", "unsupported broker ")
source_url = argument(check_source_url, "source", "unsupported source ")
history_url = argument(check_history_url, "history", "unsupported history store ")
duration = argument(parse_duration, "duration")


def megabytes(text: str) -> int:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of MB, got {text}")
    return int(value * BYTES_PER_MB)


def frequency(text: str) -> int:
    value = int(text)
    if not MIN_FREQUENCY_MS <= value <= MAX_FREQUENCY_MS:
        raise argparse.ArgumentTypeError(
            f"must be from {MIN_FREQUENCY_MS} to {MAX_FREQUENCY_MS} ms, got {value}"
        )
    return value


def symbols(text: str) -> tuple[str, ...]:
    """A count (`8`) or a comma list (`BTC/USD,ETH/USD`)."""
    text = text.strip()
    if text.isdigit():
        try:
            return tuple(default_symbols(int(text)))
        except ValueError as bad:
            raise argparse.ArgumentTypeError(str(bad)) from None
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError("empty symbol name in the list")
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError("symbols must be distinct")
    if len(names) > MAX_SYMBOLS:
        raise argparse.ArgumentTypeError(f"at most {MAX_SYMBOLS} symbols")
    return tuple(names)


def origin(text: str) -> str:
    try:
        return normalize_origin(text)
    except ValueError as bad:
        raise argparse.ArgumentTypeError(str(bad)) from None


def seconds(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def client_count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


# argparse names the converter in its message; give them readable names.
port.__name__ = "port"
frequency.__name__ = "period"
symbols.__name__ = "symbols"
origin.__name__ = "origin"
client_count.__name__ = "count"
seconds.__name__ = "seconds"
megabytes.__name__ = "size"


def parser(prog: str = MODULE_PROG) -> argparse.ArgumentParser:
    cli = OneLineParser(
        prog=prog,
        description="Tickscope: a market (simulated, recorded or an exchange's) streamed over "
        "WebSockets to a live dashboard.",
    )
    cli.add_argument("--host", default=DEFAULT_HOST, help="interface to bind (default %(default)s)")
    cli.add_argument(
        "--port",
        type=port,
        default=DEFAULT_PORT,
        help="TCP port (default %(default)s; 0 picks a free port and prints the URL)",
    )
    cli.add_argument(
        "--symbols",
        type=symbols,
        default=tuple(default_symbols()),
        help=f"a count (1-{MAX_SYMBOLS}) or a comma list of symbols "
        f"(default {DEFAULT_SYMBOL_COUNT}: BTC/USD, ETH/USD, SOL/USD, ...)",
    )
    cli.add_argument(
        "--seed", type=int, default=None, help="seed of the simulator (default: random)"
    )
    cli.add_argument(
        "--frequency-ms",
        type=frequency,
        default=DEFAULT_FREQUENCY_MS,
        help=f"tick period in ms, {MIN_FREQUENCY_MS}-{MAX_FREQUENCY_MS} (default %(default)s)",
    )
    cli.add_argument(
        "--allowed-origin",
        type=origin,
        action="append",
        default=[],
        metavar="ORIGIN",
        help="another origin that may open /ws, e.g. https://dash.example:8443 (repeatable; "
        "the server's own http://127.0.0.1|localhost|[::1]:PORT always may)",
    )
    cli.add_argument(
        "--broker",
        type=broker_url,
        default=DEFAULT_BROKER,
        metavar="URL",
        help="memory:// runs the market in this process (default); redis://HOST:PORT/DB "
        "shares one market between every server process on that Redis",
    )
    cli.add_argument(
        "--source",
        type=source_url,
        action="append",
        default=[],
        metavar="URL",
        dest="sources",
        help="where the market comes from: sim:// (the simulator, default), "
        "replay://PATH?speed=1|10|max&loop=1 (a recording), coinbase://BTC-USD,ETH-USD, "
        "binance://btcusdt,ethusdt; a second --source is a standby that takes over when the "
        "first fails or falls silent",
    )
    cli.add_argument(
        "--failover-after",
        type=seconds,
        default=DEFAULT_FAILOVER_AFTER_S,
        metavar="SECONDS",
        help="a source silent this long hands over to the next --source (default %(default)s)",
    )
    cli.add_argument(
        "--record",
        type=Path,
        default=None,
        metavar="DIR",
        help="write every published message, with its arrival time, to gzip files in DIR "
        "(replay them with --source replay://DIR)",
    )
    cli.add_argument(
        "--record-segment-mb",
        type=megabytes,
        default=DEFAULT_RECORD_SEGMENT_BYTES,
        metavar="MB",
        help="start a new recording file past this many compressed MB "
        f"(default {DEFAULT_RECORD_SEGMENT_BYTES // BYTES_PER_MB})",
    )
    cli.add_argument(
        "--history",
        type=history_url,
        default=DEFAULT_HISTORY,
        metavar="URL",
        help="where prices, trades and candles are kept: sqlite:///PATH (default %(default)s; "
        "sqlite:////PATH when absolute), postgresql://USER@HOST:PORT/DB (shared by a cluster) "
        "or none (live only)",
    )
    cli.add_argument(
        "--retention",
        type=duration,
        default=DEFAULT_RETENTION_S,
        metavar="DURATION",
        help="how long history is kept, e.g. 7d, 12h, 30m (default 7d)",
    )
    cli.add_argument(
        "--max-clients",
        type=client_count,
        default=DEFAULT_MAX_CLIENTS,
        help="WebSocket clients at once; more are refused with close code 1013 "
        "(default %(default)s)",
    )
    cli.add_argument(
        "--queue-frames",
        type=client_count,
        default=DEFAULT_QUEUE_LIMIT,
        help="frames queued per client before it is conflated and shed (default %(default)s)",
    )
    cli.add_argument(
        "--queue-bytes",
        type=client_count,
        default=DEFAULT_QUEUE_BYTES,
        help="bytes queued per client before it is conflated and shed (default %(default)s)",
    )
    cli.add_argument(
        "--slow-grace",
        type=seconds,
        default=DEFAULT_GRACE_S,
        help="seconds a client may stay behind before it is closed with 1013 (default %(default)s)",
    )
    cli.add_argument(
        "--ping-interval",
        type=seconds,
        default=DEFAULT_PING_INTERVAL_S,
        help="seconds between keepalive pings (default %(default)s)",
    )
    cli.add_argument(
        "--ping-timeout",
        type=seconds,
        default=DEFAULT_PING_TIMEOUT_S,
        help="seconds a pong may take before the peer is dropped as dead (default %(default)s)",
    )
    cli.add_argument(
        "--ws-deflate",
        action="store_true",
        help="offer permessage-deflate (off by default: it compresses every frame once per "
        "client, and the benchmark measured it slower on loopback)",
    )
    cli.add_argument(
        "--no-startup-snapshot",
        dest="startup_snapshot",
        action="store_false",
        help="pages boot Pyodide the normal way, not from the start-up snapshot the server "
        "otherwise makes under Node (once per client version, kept in .cache/)",
    )
    cli.add_argument(
        "--log-level", choices=LOG_LEVELS, default="info", help="(default %(default)s)"
    )
    return cli


def configure_logging(level: str) -> None:
    """Tickscope's own loggers (tickscope.*) print like uvicorn's, at the same level."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)-9s %(name)s: %(message)s"))
    own = logging.getLogger("tickscope")
    own.addHandler(handler)
    own.setLevel(level.upper())
    own.propagate = False


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this. A fixed, modest kernel buffer makes a client that stops
    # reading visible to the hub within about a second, instead of after megabytes the kernel
    # would otherwise hold for it (and the latency hidden in them).
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
    sock.bind((host, port))
    sock.listen(LISTEN_BACKLOG)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def main(argv: list[str] | None = None, prog: str = MODULE_PROG) -> None:
    args = parser(prog).parse_args(argv)
    settings = Settings(
        host=args.host,
        port=args.port,
        symbols=args.symbols,
        seed=args.seed,
        frequency_ms=args.frequency_ms,
        log_level=args.log_level,
        extra_origins=tuple(args.allowed_origin),
        max_clients=args.max_clients,
        queue_limit=args.queue_frames,
        queue_bytes=args.queue_bytes,
        slow_grace_s=args.slow_grace,
        ping_interval_s=args.ping_interval,
        ping_timeout_s=args.ping_timeout,
        broker=args.broker,
        sources=tuple(args.sources) or (DEFAULT_SOURCE,),
        failover_after_s=args.failover_after,
        record=args.record,
        record_segment_bytes=args.record_segment_mb,
        history=args.history,
        retention_s=args.retention,
        startup_snapshot=args.startup_snapshot,
    )
    configure_logging(settings.log_level)
    try:
        source = market_source(settings)
        history_class(settings.history)  # a missing driver is said now, in one line
        asyncio.run(source.check())
        asyncio.run(preflight(settings, source))
    except (ValueError, SourceError, BrokerUnavailableError) as unavailable:
        sys.exit(f"tickscope: error: {unavailable}")
    try:
        sock = bind(settings.host, settings.port)
        # With --port 0 the OS chose the port: the allowed origins carry the real one.
        settings = replace(settings, port=sock.getsockname()[1])
        app = create_app(settings, on_ready=lambda: announce(sock), source=source)
    except MissingVendorError as missing:
        sys.exit(f"tickscope: error: {missing}")
    except OSError as failed:
        sys.exit(
            f"tickscope: error: cannot listen on {settings.host}:{settings.port}: {failed.strerror}"
        )
    config = uvicorn.Config(
        app,
        log_level=settings.log_level,
        ws_max_size=CONTROL_FRAME_LIMIT,
        ws_ping_interval=settings.ping_interval_s,
        ws_ping_timeout=settings.ping_timeout_s,
        # Deflate compresses every frame once per client, undoing encode-once fan-out.
        ws_per_message_deflate=args.ws_deflate,
        lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
    TickscopeServer(config, app.state.services).run(sockets=[sock])


GOING_AWAY = 1001
CLOSE_WAIT_S = 1.0  # for clients to answer the close frames, inside the 2 s a stop may take
GRACEFUL_SHUTDOWN_S = 1  # then uvicorn waits at most this for the rest


class TickscopeServer(uvicorn.Server):
    """uvicorn's server, but on SIGTERM/SIGINT every client is first closed with 1001 ("going
    away": reconnect elsewhere or later) rather than uvicorn's 1012."""

    def __init__(self, config: uvicorn.Config, services: Services) -> None:
        super().__init__(config)
        self.services = services

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        hub = self.services.hub
        hub.close_all(GOING_AWAY, "the server is shutting down")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(hub.emptied.wait(), CLOSE_WAIT_S)
        await super().shutdown(sockets)


def announce(sock: socket.socket) -> None:
    # Printed from the app's startup: by then Ctrl-C is uvicorn's to handle, and a reader of
    # this line (a test, a script) can connect at once.
    print(f"{LISTENING}{url_of(sock)}", flush=True)


def run(prog: str = SCRIPT_PROG) -> None:
    """The entry point of `tickscope` and `python -m server`."""
    try:
        main(prog=prog)
    except KeyboardInterrupt:  # before uvicorn took over the signal: nothing to clean up
        sys.exit(INTERRUPTED)
