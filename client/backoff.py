"""How long to wait before trying a lost connection again: shared by the engines' WebSocket
and the server's Redis broker. Pure and portable."""

import random

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

FIRST_RETRY_MS = 250.0
MAX_RETRY_MS = 4000.0  # "capped at a few seconds"


def retry_delay_ms(failures: int, rand: "Callable[[], float]" = random.random) -> float:
    """Exponential backoff with equal jitter: half the step fixed, half random, so clients that
    lost the same server do not all come back in the same millisecond."""
    step = min(MAX_RETRY_MS, FIRST_RETRY_MS * float(2 ** max(0, failures - 1)))
    return step / 2 + rand() * step / 2
