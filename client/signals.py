"""Fine-grained reactivity: Signal, Memo, Effect, batch, untracked, owned disposal.

Push-pull with three states (the algorithm of Reactively and Leptos' reactive graph): setting a
signal marks its direct observers DIRTY and everything further down CHECK; nothing recomputes
until read or flushed, and a CHECK node first brings its sources up to date and recomputes only
if one of them really changed. So a diamond (a -> b, a -> c, b + c -> d) runs d once per change
and never sees b new with c old (glitch-free), and a memo that lands on an equal value stops the
wave there.

Effects run synchronously after the outermost write or batch, unless given a `schedule`
callback: then being marked only calls `schedule(effect)` and the owner runs `effect.run()`
when it chooses (the DOM layer does so once per animation frame). As in preact-signals, a flush
runs every pending effect even when one raises, then re-raises the first error: one failing
effect must not leave the others stale until some later write.

Observers are kept in lists, not sets, so they are notified in the order they subscribed under
every engine (MicroPython's sets and dicts do not keep insertion order): a run is deterministic.

No js, no typing at run time: portable to CPython, Pyodide and MicroPython.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

CLEAN = 0
CHECK = 1
DIRTY = 2


class _Context:
    """The reactive system's one piece of mutable global state."""

    def __init__(self) -> None:
        # The computation currently tracking its reads (None: reads are not tracked).
        self.observer: Computation | None = None
        # The owner that new computations attach to, for disposal with it.
        self.owner: Owner | None = None
        self.batch_depth = 0
        self.pending: list[Effect] = []
        self.flushing = False


_context = _Context()


def _identical(old: Any, new: Any) -> bool:
    return old is new or old == new


class Owner:
    """Owns child computations and cleanups; disposing it disposes them, innermost first."""

    def __init__(self) -> None:
        self._children: list[Owner] = []
        self._cleanups: list[Callable[[], None]] = []
        self.disposed = False
        if _context.owner is not None:
            _context.owner._children.append(self)

    def on_cleanup(self, fn: Callable[[], None]) -> None:
        self._cleanups.append(fn)

    def _dispose_children(self) -> None:
        if not self._children and not self._cleanups:
            return  # the usual case for a view: nothing to let go, nothing to allocate
        children = self._children
        cleanups = self._cleanups
        self._children = []
        self._cleanups = []
        for child in reversed(children):
            child.dispose()
        for fn in reversed(cleanups):
            fn()

    def dispose(self) -> None:
        if not self.disposed:
            self.disposed = True
            self._dispose_children()


class Signal:
    """A value that notifies its readers when it changes."""

    def __init__(self, value: Any, equals: Callable[[Any, Any], bool] | None = _identical) -> None:
        self._value = value
        self._equals = equals
        self._observers: list[Computation] = []

    def get(self) -> Any:
        if _context.observer is not None:
            _context.observer._track(self)
        return self._value

    __call__ = get

    def peek(self) -> Any:
        """The value, without making the current computation depend on it."""
        return self._value

    def set(self, value: Any) -> None:
        if self._equals is not None and self._equals(self._value, value):
            return
        self._value = value
        self.notify()

    def update(self, fn: Callable[[Any], Any]) -> None:
        self.set(fn(self._value))

    def increment(self) -> None:
        """Add one to a counting signal (a version) and notify: a count never equals its
        successor, so there is nothing to compare."""
        self._value += 1
        self.notify()

    def notify(self) -> None:
        """Tell readers the value changed in place (a list appended to, say)."""
        # A reader already DIRTY has nothing to learn: within a batch most writes find theirs
        # so, and under MicroPython each skipped call or copy costs about a microsecond.
        for observer in self._observers:
            if observer._state != DIRTY:
                self._mark_observers()
                break
        _flush_unless_batched()

    def _mark_observers(self) -> None:
        for observer in list(self._observers):  # a copy: a scheduler may rerun a reader
            if observer._state != DIRTY:
                observer._mark(DIRTY)

    @property
    def observer_count(self) -> int:
        return len(self._observers)


class Computation(Owner):
    """What Memo and Effect share: tracked sources, a state, and owned children."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        Owner.__init__(self)
        self._fn = fn
        self._sources: list[Signal | Computation] = []
        self._next_sources: list[Signal | Computation] | None = None
        self._observers: list[Computation] = []
        self._state = DIRTY
        self._value: Any = None

    def _track(self, source: Any) -> None:
        sources = self._next_sources
        if sources is not None and source not in sources:
            sources.append(source)

    def _mark(self, state: int) -> None:
        if self._state < state:
            self._state = state
            if self._observers:  # an effect has none: no copy to make
                for observer in list(self._observers):
                    observer._mark(CHECK)

    def _update_if_necessary(self) -> None:
        if self._state == CHECK:
            for source in self._sources:
                if isinstance(source, Computation):
                    source._update_if_necessary()
                    if self._state == DIRTY:
                        break
        if self._state == DIRTY:
            self._recompute()
        self._state = CLEAN

    def _recompute(self) -> None:
        self._dispose_children()
        previous_observer, previous_owner = _context.observer, _context.owner
        self._next_sources = []
        _context.observer = _context.owner = self
        try:
            value = self._fn()
        finally:
            _context.observer, _context.owner = previous_observer, previous_owner
            self._relink(self._next_sources)
            self._next_sources = None
        self._state = CLEAN
        self._changed_to(value)

    def _relink(self, sources: list[Any]) -> None:
        if sources == self._sources:  # the same reads as last run (compared by identity)
            self._sources = sources
            return
        for source in self._sources:
            if source not in sources:
                source._observers.remove(self)
                if not source._observers and isinstance(source, Memo):
                    source._release()
        for source in sources:
            if self not in source._observers:
                source._observers.append(self)
        self._sources = sources

    def _changed_to(self, value: Any) -> None:
        self._value = value

    def dispose(self) -> None:
        if not self.disposed:
            Owner.dispose(self)
            self._relink([])
            self._state = CLEAN


class Memo(Computation):
    """A derived value, computed lazily and cached until a source really changes."""

    def __init__(
        self, fn: Callable[[], Any], equals: Callable[[Any, Any], bool] | None = _identical
    ) -> None:
        Computation.__init__(self, fn)
        self._equals = equals
        self._computed = False

    def get(self) -> Any:
        if _context.observer is not None:
            _context.observer._track(self)
        if not self.disposed:
            self._update_if_necessary()
        return self._value

    __call__ = get

    def _release(self) -> None:
        # Nobody reads this memo any more: let go of its sources (so a disposed view leaks no
        # subscriptions) and recompute on the next read.
        self._relink([])
        self._state = DIRTY

    def _changed_to(self, value: Any) -> None:
        if self._computed and self._equals is not None and self._equals(self._value, value):
            return
        self._computed = True
        self._value = value
        for observer in self._observers:
            observer._state = DIRTY


class Effect(Computation):
    """Runs `fn` now and again whenever something it read changes.

    `fn` may return a cleanup function, called before the next run and on disposal.
    """

    def __init__(
        self, fn: Callable[[], Any], schedule: Callable[[Effect], None] | None = None
    ) -> None:
        Computation.__init__(self, fn)
        self._schedule = schedule
        self._queued = False
        self.runs = 0
        self.run()

    def _mark(self, state: int) -> None:
        was_clean = self._state == CLEAN
        Computation._mark(self, state)
        if was_clean and not self._queued and not self.disposed:
            self._queued = True
            if self._schedule is not None:
                self._schedule(self)
            else:
                _context.pending.append(self)

    def run(self) -> None:
        """Bring the effect up to date: run `fn` if a source really changed. An error in `fn`
        propagates, and the effect stays subscribed: the next change runs it again."""
        self._queued = False
        if not self.disposed:
            try:
                self._update_if_necessary()
            except BaseException:
                self._state = CLEAN  # a stale effect would never be scheduled again
                raise

    def _changed_to(self, value: Any) -> None:
        self.runs += 1
        if callable(value):
            self.on_cleanup(value)

    @property
    def stale(self) -> bool:
        return self._state != CLEAN


def _flush_unless_batched() -> None:
    if _context.batch_depth or _context.flushing:
        return
    _context.flushing = True
    first_error: Exception | None = None
    try:
        while _context.pending:
            effect = _context.pending.pop(0)
            try:
                effect.run()
            except Exception as error:  # kept, and raised once every effect has run
                if first_error is None:
                    first_error = error
    finally:
        _context.flushing = False
    if first_error is not None:
        raise first_error


def batch(fn: Callable[[], Any]) -> Any:
    """Run `fn` with effects held back until it returns: each runs once, on the final values."""
    _context.batch_depth += 1
    try:
        return fn()
    finally:
        _context.batch_depth -= 1
        _flush_unless_batched()


def untracked(fn: Callable[[], Any]) -> Any:
    """Run `fn` without making the current computation depend on what it reads."""
    previous = _context.observer
    _context.observer = None
    try:
        return fn()
    finally:
        _context.observer = previous


def create_root(fn: Callable[[Owner], Any]) -> Any:
    """Run `fn(root)` with a new root owner; `root.dispose()` tears down all it created."""
    root = Owner()
    previous_owner, previous_observer = _context.owner, _context.observer
    _context.owner, _context.observer = root, None
    try:
        return fn(root)
    finally:
        _context.owner, _context.observer = previous_owner, previous_observer


def on_cleanup(fn: Callable[[], None]) -> None:
    """Register `fn` with the current owner: called when it re-runs or is disposed."""
    if _context.owner is None:
        raise RuntimeError("on_cleanup() needs an owner: call it inside an effect or a root")
    _context.owner.on_cleanup(fn)
