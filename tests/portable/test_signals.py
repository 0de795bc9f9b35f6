"""Signals semantics: laziness, glitch-free diamonds, batching, ownership and disposal."""

from client.signals import Effect, Memo, Signal, batch, create_root, on_cleanup, untracked
from tests.portable.check import expect_raises


def test_a_signal_holds_a_value_and_ignores_equal_writes():
    seen = []
    count = Signal(1)
    Effect(lambda: seen.append(count.get()))
    count.set(1)
    count.set(2)
    count.update(lambda n: n + 1)
    assert seen == [1, 2, 3]
    assert count.peek() == 3


def test_a_memo_is_lazy_and_cached_until_a_source_changes():
    runs = []
    base = Signal(2)

    def square():
        runs.append(1)
        return base.get() ** 2

    squared = Memo(square)
    assert runs == []
    assert squared.get() == 4
    assert squared.get() == 4
    assert len(runs) == 1
    base.set(3)
    assert len(runs) == 1, "nothing read it yet"
    assert squared.get() == 9
    assert len(runs) == 2


def test_a_diamond_runs_its_sink_once_per_change_and_never_sees_a_mixed_state():
    a = Signal(1)
    b = Memo(lambda: a.get() * 2)
    c = Memo(lambda: a.get() + 10)
    seen = []
    Effect(lambda: seen.append((b.get(), c.get())))
    a.set(2)
    a.set(5)
    assert seen == [(2, 11), (4, 12), (10, 15)]


def test_a_memo_that_lands_on_an_equal_value_stops_the_wave():
    n = Signal(3)
    parity = Memo(lambda: n.get() % 2)
    runs = []
    Effect(lambda: runs.append(parity.get()))
    n.set(5)
    n.set(7)
    assert runs == [1]
    n.set(8)
    assert runs == [1, 0]


def test_batch_runs_each_effect_once_on_the_final_values():
    first = Signal("a")
    last = Signal("b")
    seen = []
    Effect(lambda: seen.append(first.get() + last.get()))

    def write_both():
        first.set("x")
        last.set("y")
        assert seen == ["ab"], "held back inside the batch"

    batch(write_both)
    assert seen == ["ab", "xy"]


def test_nested_batches_flush_once_at_the_outermost_end():
    value = Signal(0)
    seen = []
    Effect(lambda: seen.append(value.get()))

    def inner():
        value.set(2)

    def outer():
        value.set(1)
        batch(inner)
        assert seen == [0]

    batch(outer)
    assert seen == [0, 2]


def test_untracked_reads_do_not_subscribe():
    tracked = Signal(1)
    quiet = Signal(10)
    seen = []
    Effect(lambda: seen.append(tracked.get() + untracked(quiet.get)))
    quiet.set(20)
    assert seen == [11]
    tracked.set(2)
    assert seen == [11, 22]
    assert quiet.observer_count == 0


def test_dependencies_follow_the_branch_taken():
    use_left = Signal(True)
    left = Signal("L")
    right = Signal("R")
    seen = []
    Effect(lambda: seen.append(left.get() if use_left.get() else right.get()))
    right.set("R2")
    assert seen == ["L"], "right was not read yet"
    use_left.set(False)
    left.set("L2")
    assert seen == ["L", "R2"], "left is no longer read"
    assert left.observer_count == 0


def test_nested_effects_are_disposed_and_recreated_with_their_parent():
    outer = Signal(0)
    inner = Signal("x")
    inner_runs = []
    cleanups = []

    def parent():
        outer.get()

        def child():
            inner_runs.append(inner.get())
            return lambda: cleanups.append("child")

        Effect(child)

    Effect(parent)
    outer.set(1)
    assert cleanups == ["child"]
    inner.set("y")
    assert inner_runs == ["x", "x", "y"], "only the live child runs"
    assert inner.observer_count == 1, "the disposed child let go of its source"


def test_an_effects_cleanup_runs_before_its_next_run_and_on_dispose():
    value = Signal(1)
    log = []

    def effect():
        current = value.get()
        log.append("run " + str(current))
        on_cleanup(lambda: log.append("clean " + str(current)))

    running = Effect(effect)
    value.set(2)
    running.dispose()
    value.set(3)
    assert log == ["run 1", "clean 1", "run 2", "clean 2"]


def test_disposing_a_root_releases_every_subscription():
    source = Signal(0)
    derived = Memo(lambda: source.get() + 1)

    def build(root):
        Effect(derived.get)
        Effect(source.get)
        return root

    root = create_root(build)
    assert source.observer_count == 2
    root.dispose()
    assert source.observer_count == 0
    assert len(derived._observers) == 0  # the leak we are checking for


def test_a_scheduled_effect_waits_for_its_scheduler():
    value = Signal(1)
    queued: list[Effect] = []
    seen = []
    effect = Effect(lambda: seen.append(value.get()), schedule=queued.append)
    value.set(2)
    value.set(3)
    assert seen == [1]
    assert queued == [effect], "queued once however many writes"
    assert effect.stale
    queued.pop().run()
    assert seen == [1, 3]
    assert not effect.stale


def test_an_effect_may_write_a_signal_another_effect_reads():
    source = Signal(1)
    doubled = Signal(0)
    seen = []
    Effect(lambda: doubled.set(source.get() * 2))
    Effect(lambda: seen.append(doubled.get()))
    source.set(5)
    assert seen == [2, 10]


def test_notify_tells_readers_of_an_in_place_change():
    items = Signal([])
    lengths = []
    Effect(lambda: lengths.append(len(items.get())))
    items.peek().append("a")
    items.notify()
    assert lengths == [0, 1]


def test_on_cleanup_outside_an_owner_is_an_error():
    expect_raises(RuntimeError, on_cleanup, lambda: None)


def test_an_effect_that_fails_runs_again_on_the_next_change():
    source = Signal(0)
    seen = []

    def fragile() -> None:
        value = source.get()
        if value == 1:
            raise ValueError("one")
        seen.append(value)

    effect = Effect(fragile)
    raised = expect_raises(ValueError, source.set, 1)
    assert str(raised) == "one"
    source.set(2)
    assert seen == [0, 2]
    assert not effect.stale


def test_a_failing_effect_does_not_stop_the_others_and_the_first_error_is_raised_after():
    source = Signal(0)
    seen = []

    def failing(message: str):
        def run() -> None:
            if source.get():
                raise ValueError(message)

        return run

    Effect(lambda: seen.append(("before", source.get())))
    Effect(failing("first"))
    Effect(lambda: seen.append(("between", source.get())))
    Effect(failing("second"))
    Effect(lambda: seen.append(("after", source.get())))
    del seen[:]
    raised = expect_raises(ValueError, source.set, 1)
    assert str(raised) == "first", "the first error, raised once all have run"
    assert seen == [("before", 1), ("between", 1), ("after", 1)], "none left stale"


def test_a_batch_that_ends_with_a_failing_effect_still_flushes_the_rest():
    a = Signal(0)
    b = Signal(0)
    seen = []

    def fragile() -> None:
        if a.get():
            raise ValueError("a")

    Effect(fragile)
    Effect(lambda: seen.append(b.get()))

    def write_both() -> None:
        a.set(1)
        b.set(1)

    expect_raises(ValueError, batch, write_both)
    assert seen == [0, 1]


def test_observers_are_notified_in_the_order_they_subscribed():
    source = Signal(0)
    order = []
    names = ["m", "c", "x", "a", "q", "b", "z", "k", "e", "d"]  # no order a hash would give

    def reader(name: str):
        return lambda: order.append((name, source.get()))

    for name in names:
        Effect(reader(name))
    del order[:]
    source.set(1)
    assert order == [(name, 1) for name in names]
    source.set(2)
    assert order[len(names) :] == [(name, 2) for name in names]
