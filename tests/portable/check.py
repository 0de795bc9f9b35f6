"""The little pytest needs to be replaced by to run these tests in a browser engine."""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


def expect_raises(
    kind: "type[BaseException]", fn: "Callable[..., object]", *args: object
) -> BaseException:
    """Call fn(*args) and return the exception it raises; fail if it raises none or another."""
    try:
        fn(*args)
    except kind as raised:
        return raised
    raise AssertionError("expected " + kind.__name__)


# The keys of window.tickscope.metrics(), the one schema every engine reports.
METRIC_KEYS = (
    "engine",
    "state",
    "received",
    "gaps",
    "conflated",
    "delivery",
    "rate",
    "latency_ms",
    "wire_ms",
    "handler_us",
    "render_ms",
    "fps",
    "ready_ms",
    "batch",
    "behind",
    "panel_us",
    "latency_hist",
)
