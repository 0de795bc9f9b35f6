"""Origins, hosts and the control budget: the rules the /ws endpoint applies."""

import pytest

from server.limits import ControlBudget, host_names, normalize_origin, own_origins


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_own_origins_are_every_loopback_name_and_the_bound_host() -> None:
    assert own_origins("127.0.0.1", 8000) == {
        "http://127.0.0.1:8000",
        "http://localhost:8000",
        "http://[::1]:8000",
    }
    assert "http://192.168.1.5:9000" in own_origins("192.168.1.5", 9000)
    assert "http://[fe80::1]:9000" in own_origins("fe80::1", 9000)
    assert not any("0.0.0.0" in origin for origin in own_origins("0.0.0.0", 9000))


@pytest.mark.parametrize(
    ("given", "origin"),
    [
        ("https://Dash.Example:8443", "https://dash.example:8443"),
        ("http://localhost:8000/", "http://localhost:8000"),
    ],
)
def test_origins_are_normalized_as_browsers_send_them(given: str, origin: str) -> None:
    assert normalize_origin(given) == origin


@pytest.mark.parametrize("bad", ["dash.example", "ftp://x", "http://x/path", "http://", ""])
def test_what_is_not_an_origin_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not an origin"):
        normalize_origin(bad)


def test_host_names_are_written_as_host_headers_write_them() -> None:
    assert host_names(own_origins("127.0.0.1", 1)) == ["127.0.0.1", "[::1]", "localhost"]


def test_the_budget_allows_a_second_s_worth_then_refuses_then_exceeds() -> None:
    clock = Clock()
    budget = ControlBudget(rate=20, clock=clock)
    verdicts = [budget.spend() for _ in range(41)]
    assert verdicts[:20] == [ControlBudget.ALLOWED] * 20
    assert verdicts[20:40] == [ControlBudget.REFUSED] * 20
    assert verdicts[40] == ControlBudget.EXCEEDED


def test_the_budget_refills_with_time() -> None:
    clock = Clock()
    budget = ControlBudget(rate=20, clock=clock)
    for _ in range(20):
        budget.spend()
    assert budget.spend() == ControlBudget.REFUSED
    clock.now += 0.5
    assert [budget.spend() for _ in range(10)] == [ControlBudget.ALLOWED] * 10


def test_a_steady_sender_within_the_rate_is_never_refused() -> None:
    clock = Clock()
    budget = ControlBudget(rate=20, clock=clock)
    for _ in range(1000):
        clock.now += 0.05
        assert budget.spend() == ControlBudget.ALLOWED
