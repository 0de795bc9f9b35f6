"""The client core's portable unit tests, run inside real Pyodide in Chromium.

The runner page is not part of the server: Playwright answers its URL on the server's origin, so
Pyodide and the client archive come from the real server exactly as the dashboard loads them,
and the test sources are embedded in the page. Whatever the tests need that only CPython has
fails here.
"""

import json

from playwright.sync_api import Page, Route

from tests.conftest import ROOT, RunningServer
from tests.e2e.conftest import PageLog
from tests.portable_suite import (
    describe_failures,
    names_under_cpython,
    portable_modules,
    portable_sources,
)

RUNNER_PATH = "/__portable_tests__"
RESULTS_TIMEOUT_MS = 60_000
PAGE_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cache-Control": "no-store",
}

# Loads Pyodide and the client archive from the server, writes the test sources into Pyodide's
# file system and leaves the runner's results (or the error that stopped it) on the window.
RUNNER_SCRIPT = """
const setup = JSON.parse(document.getElementById("portable-setup").textContent);

async function runPortableTests() {
  const { loadPyodide } = await import(setup.indexURL + "pyodide.mjs");
  const pyodide = await loadPyodide({ indexURL: setup.indexURL });
  const config = await (await fetch("/pyscript.json")).json();
  const archives = Object.keys(config.files);
  if (archives.length !== 1) throw new Error("expected one client archive, got " + archives);
  const archive = await fetch(archives[0]);
  if (!archive.ok) throw new Error(archives[0] + " answered " + archive.status);
  pyodide.unpackArchive(await archive.arrayBuffer(), "zip");
  for (const [path, text] of Object.entries(setup.files)) {
    pyodide.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
    pyodide.FS.writeFile(path, text);
  }
  const results = pyodide.runPython(
    "import importlib, json\\n" +
    "importlib.invalidate_caches()\\n" +
    "import tests.portable.runner as r\\n" +
    "json.dumps(r.run(" + JSON.stringify(setup.modules) + "))\\n"
  );
  return JSON.parse(results);
}

runPortableTests().then(
  (results) => { window.__portableResults = results; },
  (error) => { window.__portableResults = "error: " + ((error && error.stack) || error); },
);
"""


def pyodide_url() -> str:
    manifest = ROOT / "node_modules" / "pyodide" / "package.json"
    version = json.loads(manifest.read_text(encoding="utf-8"))["version"]
    return f"/vendor/pyodide/{version}/"


def runner_page() -> str:
    setup = {"indexURL": pyodide_url(), "modules": portable_modules(), "files": portable_sources()}
    # "</" would end the script element early; "<\\/" is the same JSON string.
    data = json.dumps(setup).replace("</", "<\\/")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Tickscope portable tests</title></head><body>\n"
        f'<script type="application/json" id="portable-setup">{data}</script>\n'
        f'<script type="module">{RUNNER_SCRIPT}</script>\n'
        "</body></html>\n"
    )


def test_every_portable_client_test_passes_inside_pyodide(
    page: Page, page_log: PageLog, server: RunningServer
) -> None:
    body = runner_page()

    def serve_runner(route: Route) -> None:
        route.fulfill(status=200, headers=PAGE_HEADERS, body=body)

    page.route(server.url + RUNNER_PATH, serve_runner)
    page.goto(server.url + RUNNER_PATH)
    page.wait_for_function(
        "() => window.__portableResults !== undefined", timeout=RESULTS_TIMEOUT_MS
    )
    results = page.evaluate("window.__portableResults")

    console = "\n".join(page_log.console + page_log.errors)
    assert not isinstance(results, str), f"the runner page failed: {results}\n{console}"
    assert results["failed"] == [], "failed in Pyodide:\n" + describe_failures(results["failed"])
    assert results["total"] > 0
    assert results["total"] == len(results["passed"])
    assert set(results["passed"]) == names_under_cpython()
    assert page.evaluate("crossOriginIsolated") is True
    assert page_log.foreign_requests() == []
