"""One contract between the Python client and the JavaScript side: every constant that
`public/baseline.js` (the JS engine) and `public/bridge.js` (the Python engines' DOM writer)
share with Python is read out of the JS by Node and compared with the Python value, so the two
cannot drift apart unseen. A new top-level constant in the JS must be listed here, either with
its Python twin or as the JS's own.

The JS keeps its constants as literals rather than reading them from the page at start-up: the
baseline stays a plain script with nothing to wait for, and this test holds the agreement.
"""

import json
import shutil
import subprocess
from typing import Any

import pytest

from client import (
    alert_panel,
    alerts,
    analytics,
    backoff,
    candles,
    chart,
    charts,
    chrome,
    connection,
    controls,
    frames,
    indicators,
    main,
    measure,
    panel,
    protocol,
    sparkline,
    stats,
    store,
    texts,
    writes,
)
from server import api
from tests.conftest import ROOT

NODE = shutil.which("node") or "node"
# Evaluates each top-level `const NAME = <expression>;` of a script in order, in one context,
# and prints the values as JSON. A declaration ends at the first `;` after which what came
# before compiles; one whose value cannot be computed alone (it calls a function) is skipped.
READ_CONSTANTS = r"""
const fs = require("fs");
const vm = require("vm");
const source = fs.readFileSync(process.argv[1], "utf8");
const context = vm.createContext({});
const values = {};
const start = /^const ([A-Z][A-Z0-9_]*) = /gm;
let match;
while ((match = start.exec(source)) !== null) {
  const name = match[1];
  let end = start.lastIndex;
  for (;;) {
    end = source.indexOf(";", end);
    if (end < 0) break;
    const expression = source.slice(start.lastIndex, end);
    try {
      new vm.Script(`(${expression})`);
    } catch {
      end += 1;
      continue;
    }
    try {
      values[name] = vm.runInContext(`var ${name} = (${expression}); ${name}`, context);
    } catch {
      values[name] = { unreadable: true };
    }
    break;
  }
}
process.stdout.write(JSON.stringify(values));
"""

BASELINE: dict[str, Any] = {
    "DEFAULT_WINDOW": protocol.DEFAULT_WINDOW,
    "WINDOW_SIZES": protocol.WINDOW_SIZES,
    "TRADES_LIMIT": protocol.TRADES_LIMIT,
    "BOOK_DEPTH": protocol.BOOK_DEPTH,
    "SIGNIFICANT_DIGITS": protocol.SIGNIFICANT_DIGITS,
    "AUTO": protocol.AUTO,
    "SPARKLINE_WIDTH": texts.SPARKLINE_WIDTH,
    "SPARKLINE_HEIGHT": texts.SPARKLINE_HEIGHT,
    "FLAT_RANGE": texts.FLAT_RANGE,
    "PLACEHOLDER": texts.PLACEHOLDER,
    "MINUS": texts.MINUS,
    "EMPTY_LEVEL": texts.EMPTY_LEVEL,
    "REBASE_AFTER": sparkline.REBASE_AFTER,
    "LATENCY_SAMPLES": stats.LATENCY_SAMPLES,
    "FPS_SAMPLES": stats.FPS_SAMPLES,
    "RENDER_SAMPLES": measure.RENDER_SAMPLES,
    "PANEL_SAMPLES": measure.PANEL_SAMPLES,
    "BEHIND_MS": measure.BEHIND_MS,
    "BEHIND_REPORTS": measure.BEHIND_REPORTS,
    "HOPELESS_MS": measure.HOPELESS_MS,
    "HOPELESS_REPORTS": measure.HOPELESS_REPORTS,
    "BEHIND_TITLE": texts.BEHIND_TITLE,
    "CONFLATED_TITLE": texts.CONFLATED_TITLE,
    "FRESH_START_QUERY": protocol.FRESH_START_QUERY,
    "EARLY_REPORT_MS": main.EARLY_REPORT_MS,
    "TOAST_MS": chrome.TOAST_MS,
    "STATE_LABELS": chrome.STATE_LABELS,
    "THROTTLE_MS": controls.THROTTLE_MS,
    "USER_HOLD_MS": controls.USER_HOLD_MS,
    "FIRST_RETRY_MS": backoff.FIRST_RETRY_MS,
    "MAX_RETRY_MS": backoff.MAX_RETRY_MS,
    "OFFLINE_AFTER_FAILURES": connection.OFFLINE_AFTER_FAILURES,
    "STALE_AFTER_MS": store.STALE_AFTER_MS,
    "NUMERIC_FIELDS": store.NUMERIC_FIELDS,
    "OFF_SCREEN_VIEWS_PER_FRAME": frames.OFF_SCREEN_VIEWS_PER_FRAME,
    "SECONDS_SHOWN": charts.SECONDS_SHOWN,
    "SLOT_WIDTH": charts.SLOT_WIDTH,
    "CHART_HEIGHT": charts.CHART_HEIGHT,
    "SMALLEST_TOP": charts.SMALLEST_TOP,
    "LATENCY_EDGES_MS": charts.LATENCY_EDGES_MS,
    "SECOND_SAMPLES_SORTED": charts.SECOND_SAMPLES_SORTED,
    "PERFORMANCE_FIELDS": panel.PERFORMANCE_FIELDS,
    "ALERTS_KEY": alert_panel.STORAGE_KEY,
    "CHART_OFF": analytics.CHART_OFF,
    "CHART_OFF_NOTE": chart.OFF_NOTE,
    "ALERT_TITLE": alert_panel.ALERT_TITLE,
    "NOTIFY_TEXTS": alert_panel.NOTIFY_TEXTS,
    "NO_ALERTS_HTML": texts.NO_ALERTS_HTML,
}
ANALYTICS: dict[str, Any] = {
    "INTERVALS": candles.INTERVALS,
    "DEFAULT_INTERVAL": analytics.DEFAULT_INTERVAL,
    "MAX_BARS": analytics.MAX_BARS,
    "TRIM_EVERY": analytics.TRIM_EVERY,
    "USER_PREFIX": analytics.USER_PREFIX,
    "PART": analytics.PART,
    "HYSTERESIS": alerts.HYSTERESIS,
    "MAX_ALERTS": alerts.MAX_ALERTS,
    "FORMAT": alerts.FORMAT,
    "ABOVE": alerts.ABOVE,
    "BELOW": alerts.BELOW,
    "INDICATOR_ORDER": indicators.ORDER,
}
CHART: dict[str, Any] = {
    "US_PER_S": candles.US_PER_S,
    "USER_PREFIX": analytics.USER_PREFIX,
    "RSI_LINE": "rsi",
    "UNAVAILABLE": api.UNAVAILABLE,
}
BRIDGE: dict[str, Any] = {
    "SEPARATOR": writes.SEPARATOR,
    "TEXT": writes.TEXT,
    "ATTRIBUTE": writes.ATTRIBUTE,
    "STYLE": writes.STYLE,
    "PREPEND_ROWS": writes.PREPEND_ROWS,
    "REPLACE_HTML": writes.REPLACE_HTML,
    "POINTS": writes.POINTS,
    "REDRAWN": sparkline.REDRAWN,
    "NORMAL_CLOSURE": connection.NORMAL_CLOSURE,
}
# The JS's own constants, with why they have no Python twin to compare with.
JS_ONLY = {
    "baseline.js": {
        "BACKLOG_REPORT_MS": "the Python engines' interval lives in client/main.py's loop",
        "LOADING_TEXTS": "engine-specific: compared key by key below",
        "ON_SCREEN_MARGIN": "the IntersectionObserver's, compared with bridge.js's below",
    },
    "bridge.js": {
        "ON_SCREEN_MARGIN": "the IntersectionObserver's, compared with baseline.js's below",
        "WRITES": "the worker channel's prefixes: both ends are in bridge.js",
        "METRICS": "the worker channel's prefixes: both ends are in bridge.js",
        "FRAME": "the worker channel's prefixes: both ends are in bridge.js",
        "ANALYTICS": "the worker channel's prefixes: both ends are in bridge.js",
    },
    "analytics.js": {"BUILT_IN": "the indicator classes; their names are INDICATOR_ORDER's"},
    "chart.js": dict.fromkeys(
        (
            "RSI_PANE",
            "RSI_PANE_SHARE",
            "VOLUME_MARGIN_TOP",
            "HISTORY_BARS",
            "LINE_COLORS",
            "USER_COLORS",
            "ZOOM_STEP",
        ),
        "how the chart looks and opens: drawing, not data",
    )
    | {
        "NO_HISTORY": "the chart panel's data-history, which the template writes",
    },
    "editor.js": {
        "LINE_CLASS": "the editor's own class for an error's line, styled in style.css",
        "CODE_HASH": "the share link's prefix: both ends (make and read) are in editor.js",
    },
}


def js_constants(name: str) -> dict[str, Any]:
    result = subprocess.run(
        [NODE, "-e", READ_CONSTANTS, str(ROOT / "public" / name)],
        capture_output=True,
        text=True,
        check=True,
    )
    values: dict[str, Any] = json.loads(result.stdout)
    return values


def as_json(value: Any) -> Any:
    """A Python value as the JS would hold it (tuples are arrays)."""
    return json.loads(json.dumps(value))


SCRIPTS = [
    ("baseline.js", BASELINE),
    ("bridge.js", BRIDGE),
    ("analytics.js", ANALYTICS),
    ("chart.js", CHART),
    ("editor.js", {}),
]


@pytest.mark.parametrize(("name", "shared"), SCRIPTS)
def test_every_shared_constant_equals_its_python_twin(name: str, shared: dict[str, Any]) -> None:
    found = js_constants(name)
    for constant, python in shared.items():
        assert constant in found, f"{name} no longer declares {constant}"
        assert found[constant] == as_json(python), f"{name} {constant} differs from Python's"


@pytest.mark.parametrize(("name", "shared"), SCRIPTS)
def test_every_js_constant_is_listed(name: str, shared: dict[str, Any]) -> None:
    unlisted = set(js_constants(name)) - set(shared) - set(JS_ONLY[name])
    assert not unlisted, f"{name}: compare these with Python's or list them as JS only"


def test_the_engines_share_the_loading_texts_but_the_first() -> None:
    js = js_constants("baseline.js")["LOADING_TEXTS"]
    assert set(js) == set(chrome.LOADING_TEXTS)
    for state, text in chrome.LOADING_TEXTS.items():
        if state != "loading":  # the Python engines say that Python is running
            assert js[state] == text, state


def test_the_two_scripts_watch_the_same_margin() -> None:
    margins = {js_constants(name)["ON_SCREEN_MARGIN"] for name in ("baseline.js", "bridge.js")}
    assert len(margins) == 1
