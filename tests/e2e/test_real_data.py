"""The page on real data, as a person sees it: each engine goes live on an exchange feed (the
local exchange playing Coinbase's documented messages) and on a replayed recording, and a page
opened after a restart draws its sparklines from the stored history at once."""

import time
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.conftest import start_server
from tests.e2e.conftest import PageLog, go_live
from tests.e2e.test_engines import point_count, text_of, wait_for_change
from tests.exchanges.local import local_exchange

PRICE = '[data-symbol="BTC/USD"] [data-field="price"]'
RECORDED_S = 2.0


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("recording")
    with start_server("--symbols", "BTC/USD,ETH/USD", "--frequency-ms", "20", "--record",
                      str(directory)):  # fmt: skip
        time.sleep(RECORDED_S)
    return directory


@pytest.mark.parametrize("engine", ["py", "js"])
def test_an_engine_goes_live_on_a_replayed_recording(
    page: Page, page_log: PageLog, recording: Path, engine: str
) -> None:
    with start_server("--source", f"replay://{recording}?loop=1") as server:
        go_live(page, f"{server.url}/?engine={engine}")
        wait_for_change(page, PRICE, text_of(page, PRICE))
        cards = page.locator(".card[data-symbol]").evaluate_all(
            "(cards) => cards.map((card) => card.dataset.symbol)"
        )
    assert cards == ["BTC/USD", "ETH/USD"]
    assert page_log.errors == []


@pytest.mark.parametrize("engine", ["py", "js"])
def test_an_engine_shows_an_exchange_feed(page: Page, page_log: PageLog, engine: str) -> None:
    with local_exchange("coinbase") as exchange:
        source = f"coinbase://BTC-USD,ETH-USD?ws={exchange.ws_url}"
        with start_server("--source", source) as server:
            go_live(page, f"{server.url}/?engine={engine}")
            page.wait_for_function(
                "(selector) => document.querySelector(selector).textContent.includes('21,940')",
                arg=PRICE,
            )
            bid = '[data-book="BTC/USD"] tr[data-side="bid"] [data-field="price"]'
            assert "21,940" in text_of(page, bid)
    assert page_log.errors == []


def test_a_page_after_a_restart_opens_with_the_stored_history(
    static_page: Page, page: Page, page_log: PageLog, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path}/history.sqlite3"
    with start_server("--history", store, "--frequency-ms", "10"):
        time.sleep(1.5)
    with start_server("--history", store, "--frequency-ms", "1000") as server:
        static_page.goto(server.url + "/")
        assert point_count(static_page) > 50  # the first run's ticks, before any new one
        go_live(page, f"{server.url}/?engine=py")
        assert point_count(page) > 50  # hydrated from the same snapshot, not rebuilt empty
    assert page_log.errors == []
