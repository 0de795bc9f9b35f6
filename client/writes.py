"""The bridge's wire format: one frame's DOM writes, crossing to `public/bridge.js` at once.

A view does not touch the DOM. It holds nodes (`Shown`, `Polyline`) registered by selector and
bound together, in one crossing, to handles in bridge.js; showing a value queues a write only
when it differs from what the node shows, and the frame sends every queued write as one string,
"handle␟value␟handle␟value…", which bridge.js applies by each node's kind.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

from . import runtime
from .sparkline import REDRAWN, Sparkline

SEPARATOR = "\u001f"  # bridge.js splits a frame's writes on it

# How bridge.js writes to a registered node (its constants, in the same order).
TEXT = 0
ATTRIBUTE = 1
STYLE = 2
PREPEND_ROWS = 3
REPLACE_HTML = 4
POINTS = 5


class Writes:
    """One frame's DOM writes, sent to the page in a single crossing at the end of the frame.

    The nodes written to are bound by selector and resolved together, also in one crossing
    (`bind`): in a worker each crossing is a round trip to the main thread.
    """

    def __init__(self) -> None:
        self.bridge = runtime.bridge()
        self.local = runtime.local()
        self.posted = 0  # writes posted to the main thread so far (worker mode)
        self.pending: list[str] = []
        self.total = 0  # writes so far: tests check that idle frames write nothing
        self.wanted: list[str] = []  # selector, kind, name of each node not yet bound
        self.unbound: list[Node] = []

    def register(self, selector: str, kind: int, name: str | int = "") -> Shown:
        """The node `selector` finds, to be written as `kind`; usable once `bind` has run."""
        node = Shown(self)
        self.attach(node, selector, kind, name)
        return node

    def attach(self, node: Node, selector: str, kind: int, name: str | int = "") -> None:
        """Have `node` bound to what `selector` finds, to be written as `kind`."""
        self.wanted.extend((selector, str(kind), str(name)))
        self.unbound.append(node)

    def bind(self) -> None:
        """Resolve every registered node in one crossing; each learns its handle and the
        value the server rendered into it."""
        if not self.unbound:
            return
        reply = str(self.bridge.bind(SEPARATOR.join(self.wanted))).split(SEPARATOR)
        first = int(reply[0])
        for index, node in enumerate(self.unbound):
            node.bound(str(first + index), reply[index + 1])
        self.wanted = []
        self.unbound = []

    def add(self, handle: str, value: str) -> None:
        self.pending.append(handle)
        self.pending.append(value.replace(SEPARATOR, " "))
        self.total += 1

    def add_run(self, run: str, count: int) -> None:
        """`count` writes already joined as "handle␟value␟…" (values free of the separator)."""
        self.pending.append(run)
        self.total += count

    def flush(self) -> int:
        """Send the frame's writes. Returns the number of the writes the page will apply last
        (in a worker, where they are posted; 0 on the main thread, where they apply now)."""
        if self.pending:
            batch = SEPARATOR.join(self.pending)
            self.pending = []
            if runtime.IN_WORKER:
                self.posted = int(self.local.post(batch))
            else:
                self.bridge.write(batch)
        return self.posted


class Node:
    """A page node a view writes to, through its handle in bridge.js once bound."""

    def __init__(self, writes: Writes) -> None:
        self.writes = writes
        self.handle = ""

    def bound(self, handle: str, rendered: str) -> None:
        """`bind` found the node, showing `rendered` (what the server rendered into it)."""
        self.handle = handle


class Shown(Node):
    """A node's text, attribute or style property, queued for writing only when it changes."""

    def __init__(self, writes: Writes) -> None:
        Node.__init__(self, writes)
        self.shown: str | None = None  # what the node shows; None until bound or first shown

    def bound(self, handle: str, rendered: str) -> None:
        self.handle = handle
        if self.shown is None:
            self.shown = rendered
        elif self.shown != rendered:  # a view ran before binding and differs from the page
            self.writes.add(handle, self.shown)

    def show(self, value: str) -> None:
        if value != self.shown:
            self.shown = value
            if self.handle:
                self.writes.add(self.handle, value)


class Polyline(Node):
    """A sparkline's points. bridge.js keeps the points' text: a frame sends only how many
    points left the line and the points that came, not the whole line (under MicroPython every
    pass over the whole line's text, to cut, join, compare or send it, is dear)."""

    def __init__(self, writes: Writes, selector: str) -> None:
        Node.__init__(self, writes)
        self.line = Sparkline()
        writes.attach(self, selector, POINTS, "points")

    def bound(self, handle: str, rendered: str) -> None:
        # The server rendered the points in the box's coordinates, the line keeps data ones.
        self.handle = handle
        self.writes.add(handle, "%d %s" % (REDRAWN, self.line.text()))

    def update(self, history: list[float], total: int) -> str:
        """Show `history`, the last len(history) of `total` prices; returns the transform that
        maps the points into the box."""
        dropped, added, line_transform = self.line.update(history, total)
        if self.handle and (dropped or added):
            self.writes.add(self.handle, "%d %s" % (dropped, added))
        return line_transform


def text(writes: Writes, selector: str) -> Shown:
    return writes.register(selector, TEXT)


def attribute(writes: Writes, selector: str, name: str) -> Shown:
    return writes.register(selector, ATTRIBUTE, name)


def transform(writes: Writes, selector: str) -> Shown:
    return writes.register(selector, STYLE, "transform")


def quoted(value: str) -> str:
    """`value` as a CSS string, for an attribute selector."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def marked(attribute: str, name: str) -> str:
    """The selector of the node marked `attribute="name"`."""
    return "[" + attribute + "=" + quoted(name) + "]"


def field_of(scope: str, name: str) -> str:
    return scope + " " + marked("data-field", name)
