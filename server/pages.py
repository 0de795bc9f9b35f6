"""GET /: the whole dashboard rendered on the server from the hub's current snapshot.

The page is complete and truthful before any script runs; an engine then hydrates these very
nodes (found by their data-* attributes) instead of building its own.
"""

from typing import Any, NamedTuple

import orjson
from jinja2.utils import htmlsafe_json_dumps
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from client import texts
from client.analytics import CHART_OFF, DEFAULT_INTERVAL, indicator_names
from client.candles import INTERVALS
from client.examples import EXAMPLES
from client.protocol import (
    AUTO,
    BOOK_DEPTH,
    DEFAULT_WINDOW,
    MAX_BATCH_MS,
    MAX_FREQUENCY_MS,
    MIN_FREQUENCY_MS,
    WINDOW_SIZES,
    Message,
)
from server.bundle import BRIDGE_URL, booting, idle_config, requested_config
from server.engines import (
    BY_KEY,
    COMPARABLE,
    DEFAULT_ENGINE,
    LABELS,
    Engine,
    Preload,
)
from server.services import Services
from server.settings import ROOT
from server.startup_snapshot import StartupSnapshot
from server.vendor import CHART_LIBRARY, CODEMIRROR, EDITOR_FILES, LIGHTWEIGHT_CHARTS, PYSCRIPT

TEMPLATES = Jinja2Templates(directory=ROOT / "server" / "templates")
DEFAULT_BATCH = AUTO  # the dashboard keeps up by default; ?batch=0 turns it off
BATCH_CHOICES = [("0", "Off"), ("16", "16 ms"), ("50", "50 ms"), (AUTO, "Auto")]
EARLY_SOCKET_SCRIPT = "/public/connect.js"
BOOT_SCRIPT = "/public/boot.js"  # shows a PyScript engine's start-up on the page
# /compare frames the dashboard from the other loopback host (a cross-origin iframe under
# COEP require-corp), which needs the page to allow cross-origin embedding.
EMBEDDABLE = {"Cross-Origin-Resource-Policy": "cross-origin"}


def embed_json(value: object) -> str:
    """JSON safe inside <script>, by Jinja's rule: `<`, `>`, `&` and `'` become \\u escapes, so
    no value (`</script>`, `<!--<script`) can end the element early or swallow the page."""
    return str(htmlsafe_json_dumps(value, dumps=_orjson_text))


def _orjson_text(value: object, **_: object) -> str:
    return orjson.dumps(value).decode()


def price_card(symbol: str, history: list[float], last: Message | None, window: int) -> Message:
    shown = history[-window:]
    price, change, direction, volume = texts.card_texts(shown, last)
    return {
        "symbol": symbol,
        "price": price,
        "change": change,
        "direction": direction,
        "volume": volume,
        "points": texts.sparkline_points(shown),
    }


def ladder(symbol: str, book: Message | None) -> Message:
    return {
        "symbol": symbol,
        "levels": texts.ladder_levels(book),
        "spread": texts.book_spread(book),
    }


def system_panel(system: Message | None) -> dict[str, str]:
    if system is None:
        return {"cpu_pct": texts.PLACEHOLDER, "mem_mb": texts.PLACEHOLDER, "msg_rate": "0"}
    cpu, memory, rate = texts.system_texts(system)
    return {"cpu_pct": cpu, "mem_mb": memory, "msg_rate": rate}


def dashboard_context(
    services: Services, engine: str, window: int, vendor_urls: dict[str, str]
) -> dict[str, Any]:
    snapshot = services.hub.snapshot()
    return {
        "snapshot_json": embed_json(snapshot),
        "seq": snapshot["seq"],
        "engine": engine,
        "engine_label": BY_KEY[engine].label,
        "engines": LABELS,
        "frequency_ms": snapshot["config"]["frequency_ms"],
        "min_frequency_ms": MIN_FREQUENCY_MS,
        "max_frequency_ms": MAX_FREQUENCY_MS,
        "window": window,
        "window_sizes": WINDOW_SIZES,
        "book_depth": BOOK_DEPTH,
        "sparkline_width": texts.SPARKLINE_WIDTH,
        "sparkline_height": texts.SPARKLINE_HEIGHT,
        "cards": [
            price_card(symbol, history, snapshot["last"].get(symbol), window)
            for symbol, history in snapshot["prices"].items()
        ],
        "trades_html": texts.trades_html(snapshot["trades"]),
        "books": [ladder(symbol, snapshot["books"].get(symbol)) for symbol in snapshot["prices"]],
        "system": system_panel(snapshot["system"]),
        "placeholder": texts.PLACEHOLDER,
        "no_alerts_html": texts.NO_ALERTS_HTML,
    }


# The chart's indicator choices: name on the URL, what the page calls it.
INDICATOR_LABELS = (
    ("sma", "SMA 20"),
    ("ema", "EMA 20"),
    ("vwap", "VWAP"),
    ("bb", "Bollinger 20, 2"),
    ("rsi", "RSI 14"),
)


def chart_context(
    request: Request, symbols: list[str], vendor_urls: dict[str, str], history: bool
) -> Message:
    """The chart, alerts and code panels as `?symbol=&interval=&indicators=` asks for them."""
    symbol = choice(request, "symbol", symbols, symbols[0] if symbols else "")
    editor = vendor_urls[CODEMIRROR.mount]
    script, mode, style = (f"{editor}/{name}" for name in EDITOR_FILES)
    return {
        "symbol": symbol,
        "symbols": symbols,
        "interval": choice(request, "interval", list(INTERVALS), DEFAULT_INTERVAL),
        "intervals": list(INTERVALS),
        "indicators": indicator_names(request.query_params.get("indicators")),
        "indicator_labels": INDICATOR_LABELS,
        "library": f"{vendor_urls[LIGHTWEIGHT_CHARTS.mount]}/{CHART_LIBRARY}",
        "editor_script": script,
        "editor_mode": mode,
        "editor_style": style,
        "examples": [(name, label) for name, label, _ in EXAMPLES],
        "off": request.query_params.get("chart") == CHART_OFF,
        "history": history,  # a server without one: the page does not ask for it
    }


class PageHead(NamedTuple):
    classic_scripts: list[str]  # run before the stylesheet, as the page starts
    preloads: list[Preload]  # all that the engine fetches as it starts, asked for at once
    modules: list[str]


def page_head(
    engine: Engine,
    vendor_urls: dict[str, str],
    pyscript_chunks: list[str],
    client_files: list[str],
    snapshot: StartupSnapshot | None = None,
) -> PageHead:
    """The scripts and preloads that start `engine` (from `snapshot` if its runtime can be),
    in the order the page needs them."""
    if engine.facts is None:
        return PageHead([], [], [engine.script])
    pyscript_core = f"{vendor_urls[PYSCRIPT.mount]}/core.js"
    preloads = [Preload(BRIDGE_URL, module=True)] if engine.early_socket else []
    preloads += [Preload(url, module=True) for url in [pyscript_core, *pyscript_chunks]]
    if not engine.worker:  # a worker fetches its runtime and the client itself
        preloads += engine.facts.preloads(vendor_urls, snapshot)
        preloads += [Preload(url, module=False) for url in client_files]
    classic = [EARLY_SOCKET_SCRIPT] if engine.early_socket else []
    modules = [BOOT_SCRIPT, pyscript_core]
    if snapshot is not None and engine.facts.snapshots and not engine.worker:
        # The loader starts restoring the snapshot as it runs: from here, while PyScript starts,
        # rather than once PyScript imports it (the same module, so it runs once).
        modules.insert(1, engine.facts.interpreter(vendor_urls, snapshot))
    return PageHead(classic, preloads, modules)


def batch_setting(request: Request) -> str:
    """?batch=0|N|auto: the batching the engine asks for when it connects (else off)."""
    value = request.query_params.get("batch", DEFAULT_BATCH)
    if value == AUTO or (value.isdigit() and len(value) <= 4 and int(value) <= MAX_BATCH_MS):
        return value if value == AUTO else str(int(value))
    return DEFAULT_BATCH


def batch_choices(batch: str) -> list[tuple[str, str]]:
    """The select's options, with an asked-for interval that is not among them."""
    choices = list(BATCH_CHOICES)
    if batch not in dict(choices):
        choices.insert(1, (batch, batch + " ms"))
    return choices


def choice(request: Request, name: str, allowed: list[str], default: str) -> str:
    """A query parameter from a fixed set; anything else falls back to the default."""
    value = request.query_params.get(name, default)
    return value if value in allowed else default


async def dashboard(request: Request) -> Response:
    services: Services = request.app.state.services
    engine = choice(request, "engine", list(BY_KEY), DEFAULT_ENGINE)
    window = int(
        choice(request, "window", [str(size) for size in WINDOW_SIZES], str(DEFAULT_WINDOW))
    )
    context = dashboard_context(services, engine, window, request.app.state.vendor_urls)
    context["embedded"] = request.query_params.get("embed") == "1"
    symbols = [card["symbol"] for card in context["cards"]]
    context["chart"] = chart_context(
        request, symbols, request.app.state.vendor_urls, services.history is not None
    )
    batch = batch_setting(request)
    context["batch"] = batch
    context["batch_choices"] = batch_choices(batch)
    # Until the server answers, the page says what it will ask for.
    context["batch_text"] = texts.batch_text(batch if batch == AUTO else int(batch), None)
    headers = dict(EMBEDDABLE)
    chosen = BY_KEY[engine]
    bundles = request.app.state.bundles
    client_files = bundles[engine].preloads(chosen.unpacked) if engine in bundles else []
    context["head"] = page_head(
        chosen,
        request.app.state.vendor_urls,
        request.app.state.pyscript_chunks,
        client_files,
        None if booting(request) else request.app.state.startup_snapshot,
    )
    if chosen.facts is not None:
        config = requested_config(request, engine)
        # The config itself, not its URL: PyScript would fetch that only once its core runs,
        # a round trip on the way to the interpreter that the page need not make.
        context["pyscript_config"] = orjson.dumps(config).decode()
        context["engine_type"] = chosen.facts.script_type
        context["start_up_json"] = embed_json(chosen.start_up())
        context["worker"] = chosen.worker
        if not chosen.worker:  # a worker's page takes its config from the script
            context["idle_type"] = chosen.facts.idle_type
            context["idle_config"] = orjson.dumps(idle_config()).decode()
        headers["Content-Security-Policy"] = request.app.state.pyscript_policies[engine]
    return TEMPLATES.TemplateResponse(request, "index.html", context, headers=headers)


COMPARED = (("a", "Left", "py"), ("b", "Right", "js"))  # query key, side, default engine


def compared_engines(request: Request) -> tuple[str, str]:
    """The two engines `?a=&b=` asks for; two different ones, else the defaults."""
    keys = [key for key, _ in COMPARABLE]
    chosen = tuple(choice(request, key, keys, default) for key, _, default in COMPARED)
    if chosen[0] == chosen[1]:
        return COMPARED[0][2], COMPARED[1][2]
    return chosen[0], chosen[1]


async def compare(request: Request) -> Response:
    """Two engines side by side; each pane is the dashboard above, on its own loopback host
    (two hosts, so two processes: a third pane would share a main thread with one of them)."""
    panes = [
        {"key": key, "side": side, "engine": engine, "label": BY_KEY[engine].label}
        for (key, side, _), engine in zip(COMPARED, compared_engines(request), strict=True)
    ]
    return TEMPLATES.TemplateResponse(
        request, "compare.html", {"panes": panes, "engines": COMPARABLE}
    )
