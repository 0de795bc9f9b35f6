"""The server-rendered dashboard in a real browser, before (or without) any engine."""

import json
import re

from playwright.sync_api import Page

from client import texts
from tests.e2e.conftest import PageLog

PRICE_TEXT = re.compile(r"^[\d,]+\.\d+$")


def test_with_javascript_disabled_the_page_still_shows_real_numbers(
    static_page: Page, page_log: PageLog, dashboard_url: str
) -> None:
    static_page.goto(dashboard_url)
    snapshot = json.loads(static_page.locator("#tickscope-snapshot").text_content() or "")
    symbols = snapshot["config"]["symbols"]
    cards = static_page.locator(".card[data-symbol]")
    assert cards.count() == len(symbols) == 8
    for index, symbol in enumerate(symbols):
        card = cards.nth(index)
        price = card.locator('[data-field="price"]').inner_text()
        assert PRICE_TEXT.match(price), price
        assert price == texts.format_price(snapshot["prices"][symbol][-1])
        assert card.locator("polyline").get_attribute("points")
    assert static_page.locator('tbody[data-list="trades"] tr').count() > 0
    assert static_page.locator("[data-book] tr[data-level]").count() == 8 * 10
    assert static_page.locator('[data-field="mem_mb"]').inner_text().isdigit()
    assert page_log.foreign_requests() == []


def test_the_page_is_styled_and_every_asset_it_asks_for_is_served(
    static_page: Page, page_log: PageLog, dashboard_url: str
) -> None:
    # Only answers count: with scripts off, Chromium cancels the engine's module preloads.
    failed: list[str] = []
    static_page.on(
        "response", lambda response: failed.append(response.url) if response.status >= 400 else None
    )
    static_page.goto(dashboard_url, wait_until="load")
    assert failed == []
    background = static_page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"), "style.css applied"
    grid = static_page.evaluate("getComputedStyle(document.querySelector('.cards')).display")
    assert grid == "grid"
    assert static_page.evaluate("document.documentElement.dataset.state") == "ssr"
    assert page_log.foreign_requests() == []
