"""The Pyodide engine's start-up snapshot: the wasm heap of a Pyodide that has booted CPython
and imported the stdlib and client modules the page needs, made ahead of time by the server.

The page restores it (public/pyodide-runtime.mjs) instead of booting: measured, Pyodide went
live in a fraction of its old start-up (docs/performance.md). It is made under Node from the
pinned Pyodide and the very client archive the page loads, once per client version, and kept
on disk; served gzipped under a URL named by everything it was made from, so it is cached
forever and never stale. The page checks it (gzip's CRC, its size, Pyodide's build id, the
archive's digest) and boots the normal way if any check fails.

Only modules that never touch `js` at import time go in: a snapshot can hold JS objects only
as paths from globalThis, and PyScript's own modules (which `client.runtime` imports) do not
exist yet when the snapshot is made.
"""

import ast
import gzip
import hashlib
import json
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from server.bundle import ClientBundle
from server.node import NodeError, run_json
from server.vendor import IMMUTABLE

logger = logging.getLogger("tickscope.snapshot")

MAKER = Path(__file__).with_name("pyodide_snapshot.mjs")
SETUP = Path(__file__).with_name("snapshot_setup.py")  # what the maker runs inside Pyodide
PACKAGE = "client"
# The one client module that touches the browser; it and every module importing it (directly
# or not) are imported in the page, after PyScript is up.
BROWSER_MODULE = "runtime"
# The stdlib the client and PyScript's own package import as the page starts.
STDLIB_IMPORTS = (
    "asyncio",
    "base64",
    "collections",
    "functools",
    "html",
    "inspect",
    "json",
    "math",
    "pathlib",
    "random",
    "time",
    "traceback",
)
GZIP_LEVEL = 6  # level 9 saved under 2 % more for twice the time
MAKER_TIMEOUT_S = 120.0
KEY_LENGTH = 16
KEPT_FILES = 4  # snapshots of earlier client versions kept on disk (a few, for rollbacks)
SUFFIX = ".bin.gz"
# Gzip as the file's own format, not the transfer's encoding: the page unpacks it with
# DecompressionStream, which checks gzip's CRC. Unpacked by the browser's network stack
# (Content-Encoding), the 30 MB came to the page in small pieces, hundreds of ms slower.
MEDIA_TYPE = "application/gzip"
HEADERS = {"Cache-Control": IMMUTABLE}


class SnapshotError(RuntimeError):
    """The snapshot could not be made: the page boots Pyodide the normal way."""


@dataclass(frozen=True)
class StartupSnapshot:
    key: str  # a hash of everything it was made from
    compressed: bytes  # as it is served and kept in the browser's cache
    heap_bytes: int  # unpacked: the wasm heap the page restores
    digest: str  # the client archive's, which the page checks after restoring

    @property
    def url(self) -> str:
        return f"/pyodide-snapshot-{self.key}{SUFFIX}"

    def describe(self) -> str:
        return (
            f"{self.heap_bytes / 1e6:.1f} MB of heap, {len(self.compressed) / 1e6:.1f} MB gzipped"
        )


def module_imports(name: str, source: bytes) -> set[str]:
    """The client modules `name` (a path like client/chart.py) imports, by short name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source, filename=name)):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module)
            else:
                found.update(alias.name for alias in node.names)
    return found


def package_graph(sources: dict[str, bytes]) -> dict[str, set[str]]:
    """Each package module's short name -> the package modules it imports."""
    prefix = PACKAGE + "/"
    return {
        path.removeprefix(prefix).removesuffix(".py"): module_imports(path, source)
        for path, source in sources.items()
        if path.startswith(prefix) and path.endswith(".py")
    }


def split_modules(sources: dict[str, bytes]) -> tuple[list[str], list[str]]:
    """The package's modules that import without the browser (everything but the browser
    module and what reaches it through the package's own imports), and the rest."""
    graph = package_graph(sources)
    browser = {BROWSER_MODULE}
    grew = True
    while grew:
        reaching = {name for name, imported in graph.items() if imported & browser}
        grew = not reaching <= browser
        browser |= reaching
    names = sorted(graph)
    return (
        [f"{PACKAGE}.{name}" for name in names if name not in browser],
        [f"{PACKAGE}.{name}" for name in names if name in browser],
    )


def snapshot_key(runtime_dir: Path, bundle: ClientBundle, modules: dict[str, list[str]]) -> str:
    """Pyodide's loader (which names its build), our maker, the client archive and the
    modules: any change of them makes another snapshot."""
    hashed = hashlib.sha256()
    for part in (
        (runtime_dir / "pyodide.mjs").read_bytes(),
        MAKER.read_bytes(),
        SETUP.read_bytes(),
        bundle.digest.encode(),
        json.dumps(modules, sort_keys=True).encode(),
    ):
        hashed.update(hashlib.sha256(part).digest())
    return hashed.hexdigest()[:KEY_LENGTH]


def make(
    runtime_dir: Path, bundle: ClientBundle, modules: dict[str, list[str]], output: Path
) -> int:
    """Runs the maker under Node; the heap's size."""
    with tempfile.TemporaryDirectory(prefix="tickscope-snapshot-") as work:
        archive = Path(work) / "client.zip"
        archive.write_bytes(bundle.archive)
        setup = {
            "runtime": (runtime_dir / "pyodide.mjs").as_uri(),
            "archive": str(archive),
            "digest": bundle.digest,
            "setup": str(SETUP),
            **modules,
            "output": str(output),
        }
        try:
            made = run_json(MAKER, setup, MAKER_TIMEOUT_S)
        except NodeError as failure:
            raise SnapshotError(str(failure)) from failure
    return int(made["bytes"])


def prune(directory: Path) -> None:
    """Keeps the newest few snapshots; others were made for client versions long gone."""
    made = sorted(directory.glob("*" + SUFFIX), key=lambda path: path.stat().st_mtime)
    for stale in made[:-KEPT_FILES]:
        stale.unlink(missing_ok=True)


def load_or_make(
    cache_dir: Path, runtime_dir: Path, bundle: ClientBundle
) -> StartupSnapshot | None:
    """The snapshot for this Pyodide and client: from the cache, or made now (seconds, once
    per client version). None, with the reason logged, where it cannot be made."""
    portable, browser = split_modules(bundle.sources)
    modules = {"imports": list(STDLIB_IMPORTS) + portable, "compiled": browser}
    key = snapshot_key(runtime_dir, bundle, modules)
    kept = cache_dir / f"pyodide-{key}{SUFFIX}"
    if not kept.exists():
        started = time.monotonic()
        logger.info("making the Pyodide start-up snapshot (once per client version)")
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="tickscope-snapshot-", dir=cache_dir) as work:
            made = Path(work) / "heap.bin"
            try:
                make(runtime_dir, bundle, modules, made)
            except SnapshotError as failure:
                logger.warning("no Pyodide start-up snapshot, pages boot Pyodide: %s", failure)
                return None
            packed = Path(work) / kept.name
            packed.write_bytes(gzip.compress(made.read_bytes(), GZIP_LEVEL, mtime=0))
            packed.replace(kept)  # whole or not at all, even with two servers making it
        prune(cache_dir)
        logger.info("made the Pyodide snapshot in %.1f s", time.monotonic() - started)
    compressed = kept.read_bytes()
    try:
        heap = gzip.decompress(compressed)  # also checks the kept file: gzip has a CRC
    except (OSError, EOFError) as damaged:
        kept.unlink(missing_ok=True)
        logger.warning("discarded a damaged Pyodide snapshot (%s); making it again", damaged)
        return load_or_make(cache_dir, runtime_dir, bundle)
    snapshot = StartupSnapshot(key, compressed, len(heap), bundle.digest)
    logger.info("Pyodide start-up snapshot: %s", snapshot.describe())
    return snapshot


async def serve(request: Request) -> Response:
    snapshot: StartupSnapshot | None = request.app.state.startup_snapshot
    if snapshot is None or request.path_params["key"] != snapshot.key:
        return Response("this snapshot is not the current one; reload the page", 404)
    return Response(snapshot.compressed, media_type=MEDIA_TYPE, headers=HEADERS)
