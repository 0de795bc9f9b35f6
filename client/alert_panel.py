"""The alerts panel in the page: the form that sets one, the list with its remove buttons, the
toasts and (with the person's permission) browser notifications when one fires, and their
keeping in localStorage, so they survive a reload. The alerts themselves are the portable
client/alerts.py; public/chart.js reaches localStorage and notifications for us.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

from . import runtime, texts
from .alerts import Alerts
from .chrome import bound

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .alerts import Alert
    from .chrome import Toasts

STORAGE_KEY = "tickscope.alerts"
ALERT_TITLE = "Price alert"
GRANTED = "granted"
NOTIFY_TEXTS = {
    "granted": "Notifications are on for alerts.",
    "denied": "This browser blocks notifications from the page; alerts show here only.",
    "unsupported": "This browser has no notifications; alerts show here only.",
    "default": "",
}


class AlertPanel:
    def __init__(
        self,
        document: Any,
        toasts: Toasts,
        last_price: Callable[[str], float | None],
        changed: Callable[[], None],
    ) -> None:
        self.bridge = runtime.bridge()
        self.toasts = toasts
        self.last_price = last_price
        self.changed = changed  # the chart redraws its alert lines
        self.alerts = Alerts()
        skipped = self.alerts.loads(str(self.bridge.stored(STORAGE_KEY)))
        panel = bound(document, "data-panel", "alerts")
        self.symbol_select = panel.querySelector('[name="alert-symbol"]')
        self.price_input = panel.querySelector('[name="alert-price"]')
        self.error = bound(panel, "data-field", "alert-error")
        self.list = bound(panel, "data-list", "alerts")
        self.notify_state = bound(panel, "data-field", "notify-state")
        self.notify_button = bound(panel, "data-control", "notify")
        self._handles = {
            "add": runtime.proxy(self._on_add),
            "key": runtime.proxy(self._on_key),
            "remove": runtime.proxy(self._on_remove),
            "notify": runtime.proxy(self._on_notify),
            "permission": runtime.proxy(self._show_permission),
        }
        bound(panel, "data-control", "add-alert").addEventListener("click", self._handles["add"])
        self.price_input.addEventListener("keydown", self._handles["key"])
        self.list.addEventListener("click", self._handles["remove"])
        self.notify_button.addEventListener("click", self._handles["notify"])
        self._show_permission(str(self.bridge.notifyPermission()))
        self.render()
        if skipped:
            self._say(str(skipped) + " stored alerts could not be read and were left out.")

    def add(self, symbol: str, price: float) -> bool:
        """An alert at `price`; a bad one is said under the form and changes nothing."""
        try:
            alert = self.alerts.add(symbol, price, self.last_price(symbol))
        except ValueError as refused:
            reason = str(refused)
            self._say(reason[:1].upper() + reason[1:] + ".")
            return False
        self._say("")
        self._saved()
        self.toasts.show("Alert set", texts.alert_text(alert.as_json()), runtime.now_ms(), "info")
        return True

    def fired(self, alerts: list[Alert]) -> None:
        for alert in alerts:
            text = texts.alert_text(alert.as_json()) + " reached"
            self.toasts.show(ALERT_TITLE, text, runtime.now_ms(), "alert")
            self.bridge.notify(ALERT_TITLE, text)
        self._saved()

    def render(self) -> None:
        self.list.innerHTML = texts.alerts_html(self.alerts.as_json())

    def _saved(self) -> None:
        if not self.bridge.store(STORAGE_KEY, self.alerts.dumps()):
            self._say("This browser would not keep the alerts: they last until the page closes.")
        self.render()
        self.changed()

    def _say(self, text: str) -> None:
        self.error.textContent = text
        self.error.hidden = text == ""

    def _on_add(self, _event: Any) -> None:
        text = str(self.price_input.value).strip().replace(",", "")
        try:
            price = float(text)
        except ValueError:
            self._say("Enter the alert's price as a number, e.g. 65000.5.")
            return
        if self.add(str(self.symbol_select.value), price):
            self.price_input.value = ""

    def _on_key(self, event: Any) -> None:
        if str(event.key) == "Enter":
            self._on_add(event)

    def _on_remove(self, event: Any) -> None:
        button = event.target.closest("[data-remove]")
        if button is not None:
            self.alerts.remove(int(str(button.dataset.remove)))
            self._saved()
            self.price_input.focus()  # the removed button took the focus with it

    def _on_notify(self, _event: Any) -> None:
        self.bridge.askToNotify(self._handles["permission"])

    def _show_permission(self, permission: str) -> None:
        self.notify_state.textContent = NOTIFY_TEXTS.get(str(permission), "")
        self.notify_button.hidden = str(permission) != "default"

    def dispose(self) -> None:
        for handle in self._handles.values():
            runtime.release(handle)
