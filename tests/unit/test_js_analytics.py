"""The JS engine's analytics (public/analytics.js) against the Python client's on one recorded
market: the same bars, indicator lines, alert firings and analytics() snapshot, so the two
engines draw the same chart and the comparison with the chart on stays fair."""

import json
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

from client.analytics import Analytics
from server.recording import Recording
from tests.conftest import ROOT

NODE = shutil.which("node") or "node"
RECORDING = ROOT / "tests" / "fixtures" / "recordings" / "sim-btc-eth"
STRETCH = 10  # the 20 s recording spread over 200 s: two hundred 1 s bars
INDICATORS = ("sma", "ema", "vwap", "bb", "rsi")
TOLERANCE = 1e-12
RUN_JS = """
import { readFileSync } from "node:fs";
const [moduleUrl, path] = process.argv.slice(1);
const { Analytics } = await import(moduleUrl);
const { messages, alerts, indicators } = JSON.parse(readFileSync(path, "utf8"));
const model = new Analytics("BTC/USD", "1s", indicators);
const fired = [];
for (const [index, message] of messages.entries()) {
  if (index === alerts.at) {
    for (const price of alerts.prices) model.alerts.add("BTC/USD", price, alerts.last);
  }
  for (const alert of model.apply(message)) fired.push([index, alert.price]);
}
const drawing = model.takeDrawing();
process.stdout.write(JSON.stringify({ drawing, snapshot: model.snapshot(), fired }));
"""


def recorded_messages() -> list[dict[str, Any]]:
    messages = []
    for _, _, message in Recording(RECORDING).records():
        if "ts" in message:
            messages.append({**message, "ts": message["ts"] * STRETCH})
    return messages


def run_python(messages: list[dict[str, Any]], alerts: dict[str, Any]) -> dict[str, Any]:
    model = Analytics("BTC/USD", "1s", INDICATORS)
    fired = []
    for index, message in enumerate(messages):
        if index == alerts["at"]:
            for price in alerts["prices"]:
                model.alerts.add("BTC/USD", price, alerts["last"])
        fired += [[index, alert.price] for alert in model.apply(message)]
    drawing = json.loads(json.dumps(model.take_drawing()))
    return {"drawing": drawing, "snapshot": model.snapshot(), "fired": fired}


def run_js(messages: list[dict[str, Any]], alerts: dict[str, Any], scratch: Path) -> Any:
    given = scratch / "given.json"
    given.write_text(json.dumps({"messages": messages, "alerts": alerts, "indicators": INDICATORS}))
    module = (ROOT / "public" / "analytics.js").as_uri()
    result = subprocess.run(
        [NODE, "--input-type=module", "-e", RUN_JS, module, str(given)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def same(ours: Any, theirs: Any, where: str = "") -> None:
    if isinstance(ours, float) or isinstance(theirs, float):
        assert math.isclose(ours, theirs, rel_tol=TOLERANCE), (where, ours, theirs)
    elif isinstance(ours, dict):
        assert set(ours) == set(theirs), where
        for key in ours:
            same(ours[key], theirs[key], where + "." + key)
    elif isinstance(ours, list):
        assert len(ours) == len(theirs), where
        for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            same(a, b, where + "[" + str(index) + "]")
    else:
        assert ours == theirs, (where, ours, theirs)


def test_both_engines_compute_the_same_chart(tmp_path: Path) -> None:
    messages = recorded_messages()
    prices = [m["price"] for m in messages if m.get("type") == "price" and m["symbol"] == "BTC/USD"]
    at = len(messages) // 4
    last = prices[len(prices) // 4]
    alerts = {"at": at, "last": last, "prices": [max(prices) * 0.999, min(prices) * 1.001]}
    python = run_python(messages, alerts)
    js = run_js(messages, alerts, tmp_path)
    assert len(python["drawing"]["bars"]) > 150
    assert len(python["fired"]) >= 2
    assert set(python["drawing"]["lines"]) == {
        "sma", "ema", "vwap", "bb.lower", "bb.middle", "bb.upper", "rsi"
    }  # fmt: skip
    same(python, js)
