"""The pinned browser runtimes from node_modules, served offline at versioned, immutable paths."""

import json
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

IMMUTABLE = "public, max-age=31536000, immutable"

# Python's table varies with the host's /etc/mime.types; the browser insists on these.
MIME_TYPES = {
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".wasm": "application/wasm",
    ".zip": "application/zip",
    ".json": "application/json",
    ".map": "application/json",
    ".css": "text/css",
}
for _suffix, _type in MIME_TYPES.items():
    mimetypes.add_type(_type, _suffix)


@dataclass(frozen=True)
class VendorPackage:
    """An npm package (or a folder of it) and the URL prefix it is served under."""

    name: str  # npm name
    mount: str  # short name in the URL
    subdir: str = ""

    def directory(self, node_modules: Path) -> Path:
        return node_modules / self.name / self.subdir if self.subdir else node_modules / self.name

    def version(self, node_modules: Path) -> str:
        manifest = node_modules / self.name / "package.json"
        return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])

    def url(self, node_modules: Path) -> str:
        return f"/vendor/{self.mount}/{self.version(node_modules)}"


PYODIDE = VendorPackage("pyodide", "pyodide")
PYSCRIPT = VendorPackage("@pyscript/core", "pyscript", "dist")
MICROPYTHON = VendorPackage("@micropython/micropython-webassembly-pyscript", "micropython")
# The accessibility engine the e2e tests run inside the pages: served like the runtimes, so a
# test loads it from this server under the pages' own Content-Security-Policy, offline.
AXE = VendorPackage("axe-core", "axe")
# The chart panel's drawing and the code panel's editor, served like the runtimes.
LIGHTWEIGHT_CHARTS = VendorPackage("lightweight-charts", "lightweight-charts", "dist")
CHART_LIBRARY = "lightweight-charts.standalone.production.mjs"
CODEMIRROR = VendorPackage("codemirror", "codemirror")
EDITOR_FILES = ("lib/codemirror.js", "mode/python/python.js", "lib/codemirror.css")
PACKAGES = (PYODIDE, PYSCRIPT, MICROPYTHON, AXE, LIGHTWEIGHT_CHARTS, CODEMIRROR)
# Our loader of the pinned MicroPython: it starts the build with a heap that never grows a
# second area, which works around a defect of 1.27.0's collector (see the loader).
MICROPYTHON_LOADER = "/public/micropython-runtime.mjs"
# Our loader of the pinned Pyodide: it starts it from the server's start-up snapshot.
PYODIDE_LOADER = "/public/pyodide-runtime.mjs"


def micropython_loader_uri(root: Path) -> str:
    """The loader as Node imports it (file URLs, under the project's `root`), for tests and
    benchmarks that run MicroPython as the page does."""
    loader = root / MICROPYTHON_LOADER.removeprefix("/")
    pinned = MICROPYTHON.directory(root / "node_modules") / "micropython.mjs"
    return f"{loader.as_uri()}?runtime={pinned.as_uri()}"


def micropython_interpreter(micropython_url: str) -> str:
    """PyScript's `interpreter` for MicroPython: our loader, told where the pinned build is
    (`micropython_url`, the package's vendor URL)."""
    return f"{MICROPYTHON_LOADER}?runtime={micropython_url}/micropython.mjs"


class MissingVendorError(RuntimeError):
    pass


# PyScript's chunks that every PyScript page imports but only finds once core.js has run (its
# core, then the error plugin's): preloaded by the page, they are fetched and compiled in
# parallel instead of one after another. Their names carry a build hash, hence the patterns.
PYSCRIPT_CHUNKS = ("core-*.js", "error-*.js")


def pyscript_chunks(node_modules: Path) -> list[str]:
    """The file names of PYSCRIPT_CHUNKS in the installed PyScript; one of each."""
    directory = PYSCRIPT.directory(node_modules)
    found = [sorted(directory.glob(pattern)) for pattern in PYSCRIPT_CHUNKS]
    missing = [pattern for pattern, paths in zip(PYSCRIPT_CHUNKS, found, strict=True) if not paths]
    if missing:
        raise MissingVendorError(f"no {', '.join(missing)} in {directory}: a new PyScript?")
    return [paths[0].name for paths in found]


def check_installed(node_modules: Path) -> None:
    missing = [p.name for p in PACKAGES if not (node_modules / p.name / "package.json").is_file()]
    if missing:
        raise MissingVendorError(
            f"missing npm packages {', '.join(missing)} in {node_modules}: run `make install`"
        )


class ImmutableFiles(StaticFiles):
    """StaticFiles whose responses may be cached forever: their URL carries the version."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = IMMUTABLE
        return response
