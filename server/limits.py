"""Who may connect, how many, and how often they may send: pure rules the endpoint applies."""

import time
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")
DEFAULT_MAX_CLIENTS = 1000
CONTROLS_PER_SECOND = 20.0


def own_origins(host: str, port: int) -> set[str]:
    """The origins the server's own pages are served from: every loopback name, and the bound
    host unless it is a wildcard."""
    names = set(LOOPBACK_NAMES)
    if host not in WILDCARD_HOSTS:
        names.add(f"[{host}]" if ":" in host else host)
    return {f"http://{name}:{port}" for name in names}


def normalize_origin(origin: str) -> str:
    """scheme://host[:port], lower-case, as browsers send it; ValueError if it is not one."""
    parts = urlsplit(origin.strip().lower())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise ValueError(f"not an origin (scheme://host[:port]): {origin!r}")
    return f"{parts.scheme}://{parts.netloc}"


def host_names(origins: Iterable[str]) -> list[str]:
    """Host names (no port) for a Host-header check: every host the allowed origins name, as
    the header writes them (IPv6 in brackets)."""
    names = set()
    for origin in origins:
        hostname = urlsplit(origin).hostname
        if hostname:
            names.add(f"[{hostname}]" if ":" in hostname else hostname)
    return sorted(names)


class ControlBudget:
    """A token bucket: `rate` control messages a second, bursts up to `rate`.

    `spend()` answers ALLOWED, REFUSED (over budget: answer with an error) or EXCEEDED (still
    sending a full second's budget past the limit: close the connection).
    """

    ALLOWED = "allowed"
    REFUSED = "refused"
    EXCEEDED = "exceeded"

    def __init__(
        self, rate: float = CONTROLS_PER_SECOND, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.clock = clock
        self.tokens = rate
        self.refused = 0.0  # refusals, decaying at `rate` per second like the tokens refill
        self.updated = clock()

    def spend(self) -> str:
        now = self.clock()
        elapsed = now - self.updated
        self.updated = now
        self.tokens = min(self.rate, self.tokens + elapsed * self.rate)
        self.refused = max(0.0, self.refused - elapsed * self.rate)
        if self.tokens >= 1:
            self.tokens -= 1
            return self.ALLOWED
        self.refused += 1
        return self.EXCEEDED if self.refused > self.rate else self.REFUSED
