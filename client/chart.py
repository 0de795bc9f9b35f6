"""The chart panel in the page: which symbol, interval and indicators it shows (its controls,
the price cards and the URL), its history, and its drawing, once per frame, through bridge.js
(public/chart.js draws it with lightweight-charts). The numbers come from the portable model,
client/analytics.py; this module only moves them between the model and the page.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

import json

from . import runtime
from .analytics import CHART_OFF, DEFAULT_INTERVAL, Analytics, indicator_names
from .candles import INTERVALS
from .chrome import bound, query_param

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .alerts import Alert, Alerts
    from .user_code import UserIndicator

OK = 200
OFF_NOTE = "Off: this page was opened with ?chart=off"


class ChartPanel:
    def __init__(  # noqa: PLR0917 (the page's nodes, and what the panel shares with the others)
        self,
        document: Any,
        window: Any,
        symbols: list[str],
        alerts: Alerts,
        user: UserIndicator | None,
        on_fired: Callable[[list[Alert]], None],
    ) -> None:
        self.bridge = runtime.bridge()
        self.symbols = symbols
        self.alerts = alerts
        self.user = user
        self.on_fired = on_fired
        self.on_alert_price: Callable[[float], None] | None = None
        asked = query_param(window, "symbol")
        symbol = asked if asked in symbols else symbols[0]
        interval = query_param(window, "interval")
        if interval not in INTERVALS:
            interval = DEFAULT_INTERVAL
        self.model = Analytics(
            symbol, interval, indicator_names(query_param(window, "indicators")), alerts, user
        )
        self.enabled = query_param(window, "chart") != CHART_OFF
        self.symbol_select = bound(document, "data-control", "symbol")
        self.alert_symbol = document.querySelector('[name="alert-symbol"]')
        self.interval_select = bound(document, "data-control", "interval")
        self.boxes = bound(document, "data-control", "indicators").querySelectorAll("input")
        self.note = bound(document, "data-field", "chart-note")
        self.cards = document.querySelector('[data-list="prices"]')
        self._handles = {
            "symbol": runtime.proxy(self._on_symbol),
            "interval": runtime.proxy(self._on_interval),
            "indicators": runtime.proxy(self._on_indicators),
            "card": runtime.proxy(self._on_card),
            "click": runtime.proxy(self._on_price_click),
            "history": runtime.proxy(self._on_history),
        }
        self.symbol_select.addEventListener("change", self._handles["symbol"])
        self.interval_select.addEventListener("change", self._handles["interval"])
        for index in range(int(self.boxes.length)):
            self.boxes.item(index).addEventListener("change", self._handles["indicators"])
        self.cards.addEventListener("click", self._handles["card"])
        self._show_selection(False)  # the URL already says what the page shows
        if self.enabled:
            self.bridge.chartOpen(self._handles["click"])
            self._load_history()
        else:
            self.note.textContent = OFF_NOTE

    # -- the stream and the frames ---------------------------------------------------------------

    def apply(self, message: dict[str, Any]) -> None:
        fired = self.model.apply(message) if self.enabled else self.alerts.on_message(message)
        if fired:
            self.on_fired(fired)

    def draw(self) -> bool:
        """Once per frame, in its render: what changed since the last frame, in one call;
        returns whether it drew."""
        if not self.enabled:
            return False
        drawing = self.model.take_drawing()
        if drawing is None:
            return False
        self.bridge.chartDraw(json.dumps(drawing))
        if drawing["reset"]:
            self.show_alert_lines()
        return True

    def show_alert_lines(self) -> None:
        if not self.enabled:
            return
        symbol = self.model.symbol
        prices = [alert.price for alert in self.alerts.items if alert.symbol == symbol]
        self.bridge.chartAlerts(json.dumps(prices))

    # -- the selection ---------------------------------------------------------------------------

    def select(self, symbol: str, interval: str, names: tuple[str, ...]) -> None:
        """Show another symbol or interval: a new model, its history fetched afresh."""
        self.model = Analytics(symbol, interval, names, self.alerts, self.user)
        self.model.rerun()  # the user's code starts afresh on the new bars, history or not
        self._show_selection()
        if self.enabled:
            self._load_history()

    def _show_selection(self, keep_url: bool = True) -> None:
        model = self.model
        self.symbol_select.value = model.symbol
        self.alert_symbol.value = model.symbol  # a new alert is most likely for the chart's
        self.interval_select.value = model.interval
        # The indicator boxes are left as the person set them (the server rendered them from
        # the URL): rewritten here, a worker's late echo could undo a click made since.
        buttons = self.cards.querySelectorAll("[data-select]")
        for index in range(int(buttons.length)):
            button = buttons.item(index)
            chosen = str(button.dataset.select) == model.symbol
            button.setAttribute("aria-pressed", "true" if chosen else "false")
        if keep_url:
            self.bridge.keepQuery(model.symbol, model.interval, ",".join(model.names))

    def _on_symbol(self, _event: Any) -> None:
        self.select(str(self.symbol_select.value), self.model.interval, tuple(self.model.names))

    def _on_interval(self, _event: Any) -> None:
        self.select(self.model.symbol, str(self.interval_select.value), tuple(self.model.names))

    def _on_card(self, event: Any) -> None:
        button = event.target.closest("[data-select]")
        if button is not None and str(button.dataset.select) != self.model.symbol:
            self.select(str(button.dataset.select), self.model.interval, tuple(self.model.names))

    def _on_indicators(self, _event: Any) -> None:
        checked = []
        for index in range(int(self.boxes.length)):
            box = self.boxes.item(index)
            if box.checked:
                checked.append(str(box.value))
        self.model.set_indicators(indicator_names(",".join(checked)))
        self._show_selection()

    def _on_price_click(self, text: str) -> None:
        if self.on_alert_price is not None:
            self.on_alert_price(float(text))

    # -- history ---------------------------------------------------------------------------------

    def _load_history(self) -> None:
        model = self.model
        self.note.textContent = "Loading " + model.symbol + " history…"
        self.bridge.chartHistory(
            model.symbol, model.interval, str(INTERVALS[model.interval]), self._handles["history"]
        )

    def _on_history(self, status: int, text: str) -> None:
        model = self.model
        try:
            answer = json.loads(text) if int(status) == OK else None
        except ValueError:
            answer = None
        if answer is None or answer.get("symbol") != model.symbol:
            if answer is None:
                self.note.textContent = history_failure(int(status), str(text))
            return  # an answer for a selection since left: the newer one is on its way
        if answer.get("interval") != model.interval:
            return
        model.load(answer["candles"])
        shown = len(answer["candles"])
        self.note.textContent = (
            str(shown) + " bars of history, then live" if shown else "No history yet: live bars"
        )

    def dispose(self) -> None:
        for handle in self._handles.values():
            runtime.release(handle)


def history_failure(status: int, text: str) -> str:
    """What the chart says when its history did not come: live bars only, and why."""
    try:
        reason = str(json.loads(text)["error"])
    except (ValueError, KeyError, TypeError):
        reason = text
    if status == 0:
        return "History could not be fetched (" + reason + "): live bars only"
    return "No history (" + reason + "): live bars only"
