"""The incremental sparkline draws exactly the reference's geometry."""

from client.sparkline import REDRAWN, Sparkline
from client.texts import SPARKLINE_HEIGHT, SPARKLINE_WIDTH, sparkline_points

TOLERANCE = 0.051  # the reference rounds each coordinate to 0.1


def drawn(points: str, transform: str) -> "list[tuple[float, float]]":
    """Where the browser puts each point: the transform applied to the data coordinates."""
    a, _, _, d, e, f = [float(part) for part in transform[len("matrix(") : -1].split()]
    result = []
    for pair in points.split():
        x, y = pair.split(",")
        result.append((a * float(x) + e, d * float(y) + f))
    return result


def reference(history: "list[float]") -> "list[tuple[float, float]]":
    return [
        (float(x), float(y))
        for x, y in (pair.split(",") for pair in sparkline_points(history).split())
    ]


def moved(points: str, dropped: int, added: str) -> str:
    """What the page's points become after an update: bridge.js's POINTS write."""
    if dropped == REDRAWN:
        return added
    kept = points.split()[dropped:]
    return " ".join(kept + added.split())


class Page:
    """The points text the page keeps, moved by each update as bridge.js moves it."""

    def __init__(self) -> None:
        self.points = ""


def assert_same_geometry(
    line: Sparkline, history: "list[float]", total: int, page: "Page | None" = None
) -> None:
    dropped, added, transform = line.update(history, total)
    points = line.text()
    if page is not None:
        page.points = moved(page.points, dropped, added)
        assert page.points == points, "the page's points drifted from the line's"
    got = drawn(points, transform)
    want = reference(history)
    assert len(got) == len(want)
    for (gx, gy), (wx, wy) in zip(got, want):
        assert abs(gx - wx) <= TOLERANCE, (gx, wx)
        assert abs(gy - wy) <= TOLERANCE, (gy, wy)


def walk(count: int, start: float = 45000.0) -> "list[float]":
    values = []
    value = start
    for step in range(count):
        value += ((step * 7919) % 13 - 6) * 0.37
        values.append(round(value, 2))
    return values


def test_a_filling_then_scrolling_window_matches_the_reference_at_every_step():
    prices = walk(260)
    line = Sparkline()
    page = Page()
    for total in range(1, len(prices) + 1):
        history = prices[max(0, total - 200) : total]
        assert_same_geometry(line, history, total, page)


def test_several_new_points_per_frame_and_a_shrinking_window():
    prices = walk(900, start=0.456)
    line = Sparkline()
    page = Page()
    for total in range(5, 900, 37):
        assert_same_geometry(line, prices[max(0, total - 500) : total], total, page)
    assert_same_geometry(line, prices[700:900], 900, page)


def test_only_new_points_are_formatted_once_the_line_exists():
    prices = walk(300)
    line = Sparkline()
    line.update(prices[:200], 200)
    kept = line.points[1:]
    line.update(prices[1:201], 201)
    assert line.points[:-1] == kept, "the old points' strings were reused, not rebuilt"


def test_a_resync_with_unrelated_history_rebuilds():
    line = Sparkline()
    page = Page()
    assert_same_geometry(line, walk(200), 200, page)
    fresh = walk(50, start=100.0)
    assert line.update(fresh, 1000)[0] == REDRAWN
    assert_same_geometry(Sparkline(), fresh, 1000)


def test_an_update_sends_only_the_points_that_came_and_went():
    prices = walk(300)
    line = Sparkline()
    line.update(prices[:200], 200)
    dropped, added, _ = line.update(prices[2:202], 202)
    assert dropped == 2
    assert added == " ".join(line.points[-2:])
    assert line.update(prices[2:202], 202)[:2] == (0, ""), "nothing new: nothing to send"


def test_flat_single_and_empty_lines():
    line = Sparkline()
    assert_same_geometry(line, [5.0, 5.0, 5.0], 3)
    assert_same_geometry(Sparkline(), [5.0], 1)
    assert Sparkline().update([], 0) == (0, "", "")
    emptied = Sparkline()
    emptied.update([5.0, 6.0], 2)
    assert emptied.update([], 2) == (REDRAWN, "", ""), "a line that empties is redrawn empty"
    assert SPARKLINE_WIDTH > 0
    assert SPARKLINE_HEIGHT > 0


def test_the_pages_points_and_the_kept_range_always_equal_a_full_recount():
    # Extremes leave the window and come back: the kept min/max must follow both ways.
    prices = [100.0 + ((step * 37) % 23) - (50.0 if step % 97 == 0 else 0.0) for step in range(700)]
    line = Sparkline()
    page = Page()
    window = 200
    for total in range(1, 700, 3):
        if total % 150 == 1:
            window = 500 if window == 200 else 200
        history = prices[max(0, total - window) : total]
        assert_same_geometry(line, history, total, page)
        assert (line.low, line.high) == (min(history), max(history))
