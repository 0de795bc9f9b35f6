"""HTTP routes of a real server: the SSR page, vendor assets, health and metrics."""

import io
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from client import texts
from server.mpy import compile_module
from tests.conftest import ROOT, RunningServer

IMMUTABLE = "public, max-age=31536000, immutable"


def version_of(package: str) -> str:
    manifest = ROOT / "node_modules" / package / "package.json"
    return str(json.loads(manifest.read_text())["version"])


class Nodes(HTMLParser):
    """Every element with its attributes and its direct text, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[dict[str, str]] = []
        self._open: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = {"tag": tag, "text": "", **{k: v or "" for k, v in attrs}}
        self.elements.append(element)
        if tag not in ("input", "meta", "link", "polyline", "br"):
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop()["tag"] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1]["text"] += data


def parse(html: str) -> list[dict[str, str]]:
    nodes = Nodes()
    nodes.feed(html)
    return nodes.elements


def embedded_snapshot(html: str) -> dict:
    found = re.search(
        r'<script type="application/json" id="tickscope-snapshot">(.*?)</script>', html, re.S
    )
    assert found, "the page embeds its snapshot"
    return json.loads(found.group(1))


@pytest.fixture(scope="module")
def page(server: RunningServer) -> str:
    response = httpx.get(server.url + "/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def test_the_page_shows_the_snapshots_last_prices(page: str) -> None:
    snapshot = embedded_snapshot(page)
    elements = parse(page)
    cards = [e for e in elements if "data-symbol" in e]
    assert [c["data-symbol"] for c in cards] == snapshot["config"]["symbols"]
    shown = [
        e["text"].strip() for e in elements if e.get("data-field") == "price" and e["tag"] == "div"
    ]
    expected = [
        texts.format_price(snapshot["prices"][s][-1]) for s in snapshot["config"]["symbols"]
    ]
    assert shown == expected
    assert all(re.fullmatch(r"[\d,]+\.\d+", text) for text in shown)


def test_every_sparkline_is_drawn_from_the_snapshot(page: str) -> None:
    snapshot = embedded_snapshot(page)
    lines = [e for e in parse(page) if e.get("data-field") == "sparkline"]
    assert len(lines) == len(snapshot["config"]["symbols"])
    for line, symbol in zip(lines, snapshot["config"]["symbols"], strict=True):
        assert line["points"] == texts.sparkline_points(snapshot["prices"][symbol][-200:])
        assert line["points"], "the page was served after at least one tick"


def selected(elements: list[dict[str, str]], select: str) -> list[str]:
    """The selected option(s) of the select whose data-control or name is `select`."""
    chosen, inside = [], False
    for element in elements:
        if element["tag"] == "select":
            inside = select in (element.get("data-control"), element.get("name"))
        elif inside and element["tag"] == "option" and "selected" in element:
            chosen.append(element["value"])
    return chosen


def test_the_chart_panels_render_as_the_url_asks(server: RunningServer) -> None:
    asked = "/?symbol=ETH/USD&interval=5s&indicators=rsi,macd,sma"
    elements = parse(httpx.get(server.url + asked).text)
    assert selected(elements, "symbol") == ["ETH/USD"]
    assert selected(elements, "alert-symbol") == ["ETH/USD"]
    assert selected(elements, "interval") == ["5s"]
    boxes = [e for e in elements if e.get("name") == "indicator"]
    assert [e["value"] for e in boxes] == ["sma", "ema", "vwap", "bb", "rsi"]
    assert [e["value"] for e in boxes if "checked" in e] == ["sma", "rsi"]  # macd is unknown
    pressed = [e["data-select"] for e in elements if e.get("aria-pressed") == "true"]
    assert pressed == ["ETH/USD"]
    chart = next(e for e in elements if e.get("data-panel") == "chart")
    assert chart["data-library"].startswith("/vendor/lightweight-charts/")
    assert "data-history" not in chart  # this server keeps history
    fallback = parse(httpx.get(server.url + "/?symbol=NOPE&interval=7s").text)
    assert selected(fallback, "symbol") == ["BTC/USD"]
    assert selected(fallback, "interval") == ["1s"]
    off = httpx.get(server.url + "/?chart=off").text
    assert "The chart is off" in off


def test_the_page_has_every_bound_node_of_the_dom_contract(page: str) -> None:
    elements = parse(page)
    html = next(e for e in elements if e["tag"] == "html")
    assert html["data-engine"] == "py"
    assert html["data-state"] == "ssr"
    controls = {e["data-control"]: e for e in elements if "data-control" in e}
    assert set(controls) == {
        "frequency",
        "window",
        "pause",
        "reset",
        "engine",
        "batch",
        "batch-auto",
        # issue 21's chart, alerts and code panels
        "symbol",
        "interval",
        "indicators",
        "zoom-in",
        "zoom-out",
        "latest",
        "add-alert",
        "notify",
        "example",
        "run-code",
        "share-code",
    }
    assert controls["frequency"]["type"] == "range"
    assert (controls["frequency"]["min"], controls["frequency"]["max"]) == ("10", "1000")
    numbered = [e["value"] for e in elements if e["tag"] == "option" and e["value"].isdigit()]
    # The window select's options, then the batching select's (off, 16 ms, 50 ms; then auto).
    assert numbered == ["200", "500", "1000", "0", "16", "50"]
    assert "batch" in {e.get("data-field") for e in elements}
    assert any(e.get("data-bind") == "behind" and "hidden" in e for e in elements)
    books = [e for e in elements if "data-book" in e]
    assert len(books) == 8
    levels = [e for e in elements if "data-level" in e]
    assert len(levels) == 8 * 10
    fields = {e.get("data-field") for e in elements}
    for name in (
        "cpu_pct",
        "mem_mb",
        "msg_rate",
        "rate",
        "received",
        "gaps",
        "latency-p95",
        "fps-mean",
        "ready",
    ):
        assert name in fields, name
    trades = [e for e in elements if e["tag"] == "tr" and e.get("data-side") in ("buy", "sell")]
    assert 0 < len(trades) <= 100


def test_the_page_is_cross_origin_isolated(server: RunningServer) -> None:
    headers = httpx.get(server.url + "/").headers
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert headers["cross-origin-embedder-policy"] == "require-corp"
    assert headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("package", "mount", "file", "content_type"),
    [
        ("pyodide", "pyodide", "pyodide.mjs", "text/javascript"),
        ("pyodide", "pyodide", "pyodide.asm.mjs", "text/javascript"),
        ("pyodide", "pyodide", "pyodide.asm.wasm", "application/wasm"),
        ("pyodide", "pyodide", "python_stdlib.zip", "application/zip"),
        ("pyodide", "pyodide", "pyodide-lock.json", "application/json"),
        ("@pyscript/core", "pyscript", "core.js", "text/javascript"),
        ("@pyscript/core", "pyscript", "core.css", "text/css"),
        (
            "@micropython/micropython-webassembly-pyscript",
            "micropython",
            "micropython.mjs",
            "text/javascript",
        ),
        (
            "@micropython/micropython-webassembly-pyscript",
            "micropython",
            "micropython.wasm",
            "application/wasm",
        ),
    ],
)
def test_vendor_assets_are_served_with_their_mime_type_and_cached_forever(
    server: RunningServer, package: str, mount: str, file: str, content_type: str
) -> None:
    response = httpx.get(f"{server.url}/vendor/{mount}/{version_of(package)}/{file}")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == content_type
    assert response.headers["cache-control"] == IMMUTABLE
    subdir = "dist" if package == "@pyscript/core" else ""
    assert response.content == Path(ROOT / "node_modules" / package / subdir / file).read_bytes()


def test_pyscript_lazy_chunks_are_served(server: RunningServer) -> None:
    dist = ROOT / "node_modules" / "@pyscript" / "core" / "dist"
    chunk = next(dist.glob("py-*.js")).name
    response = httpx.get(f"{server.url}/vendor/pyscript/{version_of('@pyscript/core')}/{chunk}")
    assert response.status_code == 200


def test_client_package_source_is_served_for_the_browser(server: RunningServer) -> None:
    response = httpx.get(server.url + "/client/protocol.py")
    assert response.status_code == 200
    assert response.text == (ROOT / "client" / "protocol.py").read_text()


# Each engine's config and its interpreter's URL: our loaders (public/pyodide-runtime.mjs, which
# starts from the server's snapshot, and public/micropython-runtime.mjs), told where the pinned
# build is: the group.
PYSCRIPT_PAGES = [
    (
        "py",
        "/pyscript.json",
        r"/public/pyodide-runtime\.mjs\?snapshot=/pyodide-snapshot-\w+\.bin\.gz&bytes=\d+"
        r"&digest=\w+&runtime=(/vendor/pyodide/[\d.]+/pyodide\.mjs)",
    ),
    (
        "mpy",
        "/pyscript-mpy.json",
        r"/public/micropython-runtime\.mjs\?runtime=(/vendor/micropython/[\d.]+/micropython\.mjs)",
    ),
]
MPY_HEADER = b"M\x06"  # the .mpy format MicroPython 1.27 loads: "M", then version 6


def shipped(engine: str, name: str) -> tuple[str, bytes]:
    """The module at `name` (client/store.py) as `engine` gets it: MicroPython's compiled."""
    source = (ROOT / name).read_bytes()
    name = name.removeprefix("shims/micropython/")
    return compile_module(name, source) if engine == "mpy" else (name, source)


@pytest.mark.parametrize(("engine", "config", "interpreter"), PYSCRIPT_PAGES)
def test_each_python_engine_loads_its_own_pinned_interpreter_and_archive(
    server: RunningServer, engine: str, config: str, interpreter: str
) -> None:
    html = httpx.get(f"{server.url}/?engine={engine}").text
    scripts = [node for node in parse(html) if node["tag"] == "script" and "config" in node]
    assert [node["type"] for node in scripts] == [engine]
    # The page carries its config itself (no round trip for PyScript); the URL serves the same.
    settings = json.loads(scripts[0]["config"])
    assert settings == httpx.get(server.url + config).json()
    match = re.fullmatch(interpreter, settings["interpreter"])
    assert match is not None
    assert httpx.get(server.url + settings["interpreter"]).status_code == 200
    assert httpx.get(server.url + match[1]).status_code == 200
    files = served_files(server, settings["files"], html)
    client = dict(shipped(engine, f"client/{path.name}") for path in (ROOT / "client").glob("*.py"))
    assert {name: files.get(name) for name in client} == client
    # MicroPython's files alone carry the stdlib shims, at the root where imports find them.
    shims = dict(
        shipped(engine, f"shims/micropython/{path.name}")
        for path in (ROOT / "shims" / "micropython").glob("*.py")
    )
    assert {name: files[name] for name in set(files) - set(client)} == (
        shims if engine == "mpy" else {}
    )
    if engine == "mpy":
        assert "__future__.mpy" in shims
        assert all(data.startswith(MPY_HEADER) for data in files.values())


@pytest.mark.parametrize(("engine", "idle"), [("py", "mpy"), ("mpy", "py"), ("py-worker", None)])
def test_the_interpreter_type_a_page_does_not_run_loads_no_plugins(
    server: RunningServer, engine: str, idle: str | None
) -> None:
    html = httpx.get(f"{server.url}/?engine={engine}").text
    configs = [node for node in parse(html) if node["tag"].endswith("-config")]
    if idle is None:  # a worker's page: PyScript takes its config from the worker's script
        assert configs == []
        return
    [config] = configs
    assert config["tag"] == f"{idle}-config"
    assert "hidden" in config
    plugins = json.loads(config["text"])["plugins"]
    assert "!py-terminal" in plugins
    assert all(name.startswith("!") for name in plugins)


@pytest.mark.parametrize("engine", ["py", "py-worker", "mpy"])
def test_pyscript_pages_preload_pyscripts_core_and_error_chunks(
    server: RunningServer, engine: str
) -> None:
    html = httpx.get(f"{server.url}/?engine={engine}").text
    preloads = [node["href"] for node in parse(html) if node.get("rel") == "modulepreload"]
    names = [url.rsplit("/", 1)[1] for url in preloads]
    for pattern in (r"core-\w+\.js", r"error-\w+\.js"):
        assert any(re.fullmatch(pattern, name) for name in names), pattern
    for url in preloads:
        response = httpx.get(server.url + url)
        assert response.status_code == 200, url


def served_files(server: RunningServer, listed: dict[str, str], html: str) -> dict[str, bytes]:
    """What PyScript writes into the interpreter's file system: an archive's members, or each
    file listed on its own; every URL preloaded by the page and cached forever."""
    files: dict[str, bytes] = {}
    for url, target in listed.items():
        assert f'href="{url}"' in html, f"the page preloads {url}"
        response = httpx.get(server.url + url)
        assert response.status_code == 200
        assert response.headers["cache-control"] == IMMUTABLE
        if target == "./*":
            archive = zipfile.ZipFile(io.BytesIO(response.content))
            files.update({name: archive.read(name) for name in archive.namelist()})
        else:
            files[target.removeprefix("./")] = response.content
    return files


def test_the_client_files_of_the_two_python_engines_differ_by_url(server: RunningServer) -> None:
    first_files = [
        next(iter(httpx.get(server.url + config).json()["files"]))
        for _, config, _ in PYSCRIPT_PAGES
    ]
    assert len(set(first_files)) == 2
    assert httpx.get(server.url + "/client-000000000000.zip").status_code == 404
    assert httpx.get(server.url + "/client-000000000000/client/main.py").status_code == 404
    known = first_files[1].rsplit("/", 1)[0]
    assert httpx.get(server.url + known + "/client/nothing.py").status_code == 404


@pytest.mark.parametrize(
    ("query", "engines"),
    [
        ("", ["py", "js"]),
        ("?a=mpy&b=js", ["mpy", "js"]),
        ("?a=js&b=mpy", ["js", "mpy"]),
        ("?a=mpy&b=mpy", ["py", "js"]),  # one engine twice compares nothing: the defaults
        ("?a=lua&b=js", ["py", "js"]),
        ("?a=py-worker&b=js", ["py", "js"]),  # not offered in a pane (server/pages.py)
    ],
)
def test_compare_frames_the_two_engines_asked_for(
    server: RunningServer, query: str, engines: list[str]
) -> None:
    html = httpx.get(server.url + "/compare" + query).text
    panes = [node for node in parse(html) if node["tag"] == "iframe"]
    assert [node["data-engine"] for node in panes] == engines
    pickers = [node for node in parse(html) if node["tag"] == "select"]
    assert [node["data-compare"] for node in pickers] == ["a", "b"]


def test_healthz_reports_status_clients_rate_and_uptime(server: RunningServer) -> None:
    health = httpx.get(server.url + "/healthz").json()
    assert health["status"] == "ok"
    assert isinstance(health["clients"], int)
    assert isinstance(health["msg_rate"], int)
    assert health["uptime_s"] > 0


def test_metrics_are_prometheus_text(server: RunningServer) -> None:
    response = httpx.get(server.url + "/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    for name in (
        "tickscope_messages_published_total",
        "tickscope_messages_sent_total",
        "tickscope_messages_dropped_total",
        "tickscope_clients",
    ):
        assert re.search(rf"^{name} \d", response.text, re.M), name


def test_metrics_carry_the_standard_collectors_and_the_queue_depths(server: RunningServer) -> None:
    text = httpx.get(server.url + "/metrics").text
    for name in (
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "python_gc_objects_collected_total",
        "python_gc_collections_total",
        "python_info",
        'tickscope_client_queue_frames_bucket{le="+Inf"}',
        "tickscope_client_queue_frames_gcount",
        "tickscope_client_queue_frames_gsum",
    ):
        assert re.search(rf"^{re.escape(name)}(\{{[^}}]*\}})? \d", text, re.M), name
    assert "# TYPE tickscope_client_queue_frames histogram" in text


def test_unknown_paths_are_404(server: RunningServer) -> None:
    assert httpx.get(server.url + "/vendor/pyodide/0.0.0/pyodide.mjs").status_code == 404
    assert httpx.get(server.url + "/nope").status_code == 404
