"""Price alerts: a threshold per symbol that fires once per crossing. Pure and portable.

An alert is set above or below the price at the time it is set. It fires when the price
reaches its threshold, and is armed again only once the price has moved back beyond the
threshold by HYSTERESIS (a fraction of it), so a price hovering at the line fires once, not on
every tick. Alerts are kept as JSON (the page stores them in localStorage) and read back with
every field checked: a stored value that is not an alert is left out, never trusted.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

import json

from .protocol import PRICE

ABOVE = "above"
BELOW = "below"
DIRECTIONS = (ABOVE, BELOW)
HYSTERESIS = 0.001  # 0.1 % of the threshold
MAX_ALERTS = 100
FORMAT = 1

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .protocol import Message


def _number(value: object) -> bool:
    return (
        (isinstance(value, (int, float)))
        and not isinstance(value, bool)
        and value == value  # noqa: PLR0124 (NaN)
        and value not in (float("inf"), float("-inf"))
    )


class Alert:
    def __init__(self, symbol: str, price: float, direction: str) -> None:
        self.symbol = symbol
        self.price = price
        self.direction = direction
        self.fired = 0  # times it fired
        self.armed = True

    def crossed(self, price: float) -> bool:
        """True when `price` fires the alert now; re-arms it once the price has moved back."""
        band = self.price * HYSTERESIS
        if self.direction == ABOVE:
            reached, back = price >= self.price, price < self.price - band
        else:
            reached, back = price <= self.price, price > self.price + band
        if self.armed and reached:
            self.armed = False
            self.fired += 1
            return True
        if not self.armed and back:
            self.armed = True
        return False

    def as_json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "price": self.price,
            "direction": self.direction,
            "fired": self.fired,
        }


class Alerts:
    def __init__(self) -> None:
        self.items: list[Alert] = []

    def add(self, symbol: str, price: float, last_price: float | None) -> Alert:
        """An alert at `price`: above the last price (or at it) fires on a rise, below on a
        fall. ValueError for a price that is not a positive number or too many alerts."""
        if not _number(price) or price <= 0:
            raise ValueError("an alert needs a positive price, got {!r}".format(price))
        if len(self.items) >= MAX_ALERTS:
            raise ValueError("at most {} alerts".format(MAX_ALERTS))
        direction = BELOW if last_price is not None and price < last_price else ABOVE
        alert = Alert(symbol, price, direction)
        self.items.append(alert)
        return alert

    def remove(self, index: int) -> None:
        if 0 <= index < len(self.items):
            del self.items[index]

    def check(self, symbol: str, price: float) -> list[Alert]:
        """The alerts of `symbol` that `price` fires now."""
        return [a for a in self.items if a.symbol == symbol and a.crossed(price)]

    def on_message(self, message: Message) -> list[Alert]:
        """The alerts a stream message fires: only a price can, and only with alerts set."""
        if not self.items or message.get("type") != PRICE:
            return []
        return self.check(message["symbol"], message["price"])

    def as_json(self) -> list[dict[str, Any]]:
        return [alert.as_json() for alert in self.items]

    def dumps(self) -> str:
        return json.dumps({"format": FORMAT, "alerts": self.as_json()})

    def loads(self, text: str | None) -> int:
        """Replace the alerts with those stored in `text`; returns how many were left out."""
        self.items = []
        if not text:
            return 0
        try:
            stored = json.loads(text)
        except ValueError:
            return 1
        entries = stored.get("alerts") if isinstance(stored, dict) else None
        if not isinstance(entries, list):
            return 1
        skipped = 0
        for entry in entries[:MAX_ALERTS]:
            if (
                isinstance(entry, dict)
                and isinstance(entry.get("symbol"), str)
                and _number(entry.get("price"))
                and entry["price"] > 0
                and entry.get("direction") in DIRECTIONS
            ):
                alert = Alert(entry["symbol"], float(entry["price"]), entry["direction"])
                fired = entry.get("fired")
                alert.fired = fired if isinstance(fired, int) and fired >= 0 else 0
                self.items.append(alert)
            else:
                skipped += 1
        return skipped + max(0, len(entries) - MAX_ALERTS)
