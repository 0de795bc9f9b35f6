"""Typed settings of one server process."""

from dataclasses import dataclass, field
from pathlib import Path

from client.protocol import DEFAULT_FREQUENCY_MS
from server.hub import DEFAULT_GRACE_S, DEFAULT_QUEUE_BYTES, DEFAULT_QUEUE_LIMIT
from server.limits import DEFAULT_MAX_CLIENTS, own_origins
from server.simulator import default_symbols

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOST = "127.0.0.1"
DEFAULT_BROKER = "memory://"
DEFAULT_SOURCE = "sim://"
DEFAULT_FAILOVER_AFTER_S = 10.0
DEFAULT_HISTORY = "sqlite:///data/history.sqlite3"
DEFAULT_RETENTION_S = 7 * 86_400.0
DEFAULT_PORT = 8000
DEFAULT_RECORD_SEGMENT_BYTES = 64 * 1024 * 1024  # compressed bytes a recording file grows to
CONTROL_FRAME_LIMIT = 4096  # bytes; uvicorn closes larger frames with 1009
DEFAULT_PING_INTERVAL_S = 20.0  # uvicorn pings each client this often...
DEFAULT_PING_TIMEOUT_S = 20.0  # ...and drops one whose pong does not come back in time


@dataclass(frozen=True)
class Settings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    symbols: tuple[str, ...] = field(default_factory=lambda: tuple(default_symbols()))
    seed: int | None = None
    frequency_ms: int = DEFAULT_FREQUENCY_MS
    queue_limit: int = DEFAULT_QUEUE_LIMIT
    queue_bytes: int = DEFAULT_QUEUE_BYTES
    slow_grace_s: float = DEFAULT_GRACE_S
    ping_interval_s: float = DEFAULT_PING_INTERVAL_S
    ping_timeout_s: float = DEFAULT_PING_TIMEOUT_S
    log_level: str = "info"
    # Origins beyond the server's own that may open /ws (and whose hosts may be asked for).
    extra_origins: tuple[str, ...] = ()
    max_clients: int = DEFAULT_MAX_CLIENTS
    broker: str = DEFAULT_BROKER
    # The first is the market; each later one a standby that takes over when the one before
    # it fails or falls silent.
    sources: tuple[str, ...] = (DEFAULT_SOURCE,)
    failover_after_s: float = DEFAULT_FAILOVER_AFTER_S  # silence that hands over to a standby
    record: Path | None = None  # a directory: every published message, compressed, rotated
    record_segment_bytes: int = DEFAULT_RECORD_SEGMENT_BYTES
    history: str = DEFAULT_HISTORY  # sqlite:///PATH, or none
    retention_s: float = DEFAULT_RETENTION_S
    startup_snapshot: bool = True  # Pyodide pages start from a snapshot the server makes
    root: Path = ROOT

    @property
    def allowed_origins(self) -> frozenset[str]:
        return frozenset(own_origins(self.host, self.port) | set(self.extra_origins))

    @property
    def public_dir(self) -> Path:
        return self.root / "public"

    @property
    def client_dir(self) -> Path:
        return self.root / "client"

    @property
    def micropython_shims_dir(self) -> Path:
        return self.root / "shims" / "micropython"

    @property
    def snapshot_dir(self) -> Path:
        return self.root / ".cache" / "pyodide-snapshots"

    @property
    def node_modules(self) -> Path:
        return self.root / "node_modules"
