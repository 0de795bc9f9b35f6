"""Fixtures that start the real server (`python -m server --port 0`, by server/launch.py)."""

from collections.abc import Iterator

import pytest

from server.launch import ROOT, RunningServer, start_server

__all__ = ["ROOT", "TEST_SEED", "RunningServer", "start_server"]

TEST_SEED = 7


@pytest.fixture(scope="session")
def server() -> Iterator[RunningServer]:
    """One shared server for tests that only read the stream. Tests that change the market's
    settings start their own with `start_server`."""
    with start_server("--seed", str(TEST_SEED)) as running:
        yield running
