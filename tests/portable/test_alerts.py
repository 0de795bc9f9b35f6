"""Price alerts fire once per crossing, re-arm past the hysteresis band, and survive being
stored as JSON; stored values that are not alerts are left out."""

import json

from client.alerts import ABOVE, BELOW, HYSTERESIS, MAX_ALERTS, Alerts
from tests.portable.check import expect_raises


def test_an_alert_above_fires_once_per_crossing():
    alerts = Alerts()
    alert = alerts.add("BTC/USD", 100.0, 95.0)
    assert alert.direction == ABOVE
    fired = [
        p for p in (96.0, 99.0, 100.0, 100.5, 99.99, 100.2, 101.0) if alerts.check("BTC/USD", p)
    ]
    assert fired == [100.0]  # hovering within the band fires nothing more
    assert alerts.check("BTC/USD", 100.0 * (1 - 2 * HYSTERESIS)) == []  # back past the band
    assert alerts.check("BTC/USD", 100.1)  # a second crossing
    assert alert.fired == 2


def test_an_alert_below_fires_on_a_fall_and_only_for_its_symbol():
    alerts = Alerts()
    alert = alerts.add("ETH/USD", 2000.0, 2100.0)
    assert alert.direction == BELOW
    assert alerts.check("BTC/USD", 1500.0) == []
    assert alerts.check("ETH/USD", 2050.0) == []
    assert alerts.check("ETH/USD", 1999.0) == [alert]


def test_alerts_round_trip_through_storage_and_bad_entries_are_left_out():
    alerts = Alerts()
    alerts.add("BTC/USD", 100.0, 90.0)
    alerts.add("ETH/USD", 50.0, 60.0)
    alerts.check("BTC/USD", 101.0)
    again = Alerts()
    assert again.loads(alerts.dumps()) == 0
    assert again.as_json() == alerts.as_json()
    assert again.as_json()[0]["fired"] == 1
    stored = json.dumps({"format": 1, "alerts": [
        {"symbol": "BTC/USD", "price": 10, "direction": "above"},
        {"symbol": "BTC/USD", "price": "10", "direction": "above"},
        {"symbol": "BTC/USD", "price": -1, "direction": "above"},
        {"symbol": "BTC/USD", "price": 10, "direction": "sideways"},
        {"symbol": 7, "price": 10, "direction": "below"},
        "not an alert",
    ]})  # fmt: skip
    assert again.loads(stored) == 5
    assert len(again.items) == 1
    assert again.loads("{not json") == 1
    assert again.loads(None) == 0
    assert again.items == []


def test_bad_thresholds_and_too_many_alerts_are_refused():
    alerts = Alerts()
    for bad in (0, -5.0, float("nan"), float("inf"), True):
        expect_raises(ValueError, alerts.add, "BTC/USD", bad, 1.0)
    for index in range(MAX_ALERTS):
        alerts.add("BTC/USD", 1.0 + index, 1.0)
    expect_raises(ValueError, alerts.add, "BTC/USD", 5.0, 1.0)
    alerts.remove(0)
    alerts.remove(MAX_ALERTS + 5)  # nothing there: nothing happens
    assert len(alerts.items) == MAX_ALERTS - 1


def test_only_a_price_message_can_fire_an_alert():
    alerts = Alerts()
    price = {"type": "price", "symbol": "BTC/USD", "price": 101.0}
    assert alerts.on_message(price) == []  # none set
    alerts.add("BTC/USD", 100.0, 99.0)
    trade = {"type": "trade", "symbol": "BTC/USD", "price": 101.0, "size": 1.0}
    assert alerts.on_message(trade) == []
    assert [alert.price for alert in alerts.on_message(price)] == [100.0]
