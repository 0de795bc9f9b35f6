"""Every engine the dashboard runs, in one table: adding an engine is one row of `ENGINES`.

An engine is what `?engine=` picks: the JavaScript baseline, or the Python client under one of
PyScript's runtimes (Pyodide or MicroPython), on the page's main thread or in a worker. What
differs between runtimes (their <script type>, interpreter, client bundle) is in `RUNTIMES`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

from server import mpy
from server.bundle import ClientBundle, pyscript_config
from server.startup_snapshot import StartupSnapshot
from server.vendor import MICROPYTHON, PYODIDE, PYODIDE_LOADER, micropython_interpreter

SNAPSHOT_FETCH = "/public/snapshot-fetch.mjs"  # the loader's import


class Runtime(StrEnum):
    PYODIDE = "pyodide"
    MICROPYTHON = "micropython"


class Preload(NamedTuple):
    href: str
    module: bool  # <link rel=modulepreload>, else <link rel=preload as=fetch crossorigin>


@dataclass(frozen=True)
class RuntimeFacts:
    name: str  # what the page's loading strip calls it
    # PyScript's progress messages in the order they arrive on a cold start (the strip's bar).
    steps: tuple[str, ...]
    script_type: str  # PyScript's <script type=…> that starts this runtime
    idle_type: str  # PyScript's other type, which the page configures but never runs
    # The vendor mounts' URLs and the start-up snapshot (if any) -> the interpreter's URL.
    interpreter: Callable[[dict[str, str], StartupSnapshot | None], str]
    bundle: Callable[[Path, Path], ClientBundle]  # client dir, shims dir -> what it loads
    # What the runtime fetches as it starts, so the page can ask for all of it at once.
    preloads: Callable[[dict[str, str], StartupSnapshot | None], list[Preload]]
    snapshots: bool = False  # starts from a StartupSnapshot where the server has one


def pyodide_bundle(client_dir: Path, shims_dir: Path) -> ClientBundle:
    return ClientBundle.build(client_dir)


def micropython_bundle(client_dir: Path, shims_dir: Path) -> ClientBundle:
    """With the shims for the stdlib names MicroPython lacks, compiled to its bytecode."""
    return ClientBundle.build(client_dir, shims_dir, mpy.compile_module)


def pyodide_interpreter(vendor_urls: dict[str, str], snapshot: StartupSnapshot | None) -> str:
    """Pyodide itself, or our loader that starts it from `snapshot`. PyScript takes a URL for
    a module only if it ends in .mjs or .js, so the pinned Pyodide's URL comes last."""
    pinned = f"{vendor_urls[PYODIDE.mount]}/pyodide.mjs"
    if snapshot is None:
        return pinned
    return (
        f"{PYODIDE_LOADER}?snapshot={snapshot.url}&bytes={snapshot.heap_bytes}"
        f"&digest={snapshot.digest}&runtime={pinned}"
    )


def pyodide_preloads(
    vendor_urls: dict[str, str], snapshot: StartupSnapshot | None
) -> list[Preload]:
    base = vendor_urls[PYODIDE.mount]
    modules = [Preload(pyodide_interpreter(vendor_urls, snapshot), True)]
    snapshots = []
    if snapshot is not None:
        modules += [Preload(SNAPSHOT_FETCH, True), Preload(f"{base}/pyodide.mjs", True)]
        snapshots.append(Preload(snapshot.url, False))
    modules.append(Preload(f"{base}/pyodide.asm.mjs", True))
    fetched = ("pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
    return modules + snapshots + [Preload(f"{base}/{name}", False) for name in fetched]


def micropython_preloads(
    vendor_urls: dict[str, str], snapshot: StartupSnapshot | None
) -> list[Preload]:
    base = vendor_urls[MICROPYTHON.mount]
    return [
        Preload(micropython_interpreter(base), True),  # our loader, which sets the heap size
        Preload(f"{base}/micropython.mjs", True),
        Preload(f"{base}/micropython.wasm", False),
    ]


RUNTIMES = {
    Runtime.PYODIDE: RuntimeFacts(
        name="Pyodide",
        steps=(
            "Loading Pyodide",
            "Loading interpreter",
            "Loaded interpreter",
            "Loaded Pyodide",
            "Loading files",
            "Loaded files",
        ),
        script_type="py",
        idle_type="mpy",
        interpreter=pyodide_interpreter,
        bundle=pyodide_bundle,
        preloads=pyodide_preloads,
        snapshots=True,
    ),
    Runtime.MICROPYTHON: RuntimeFacts(
        name="MicroPython",
        steps=(
            "Loading MicroPython",
            "Loading files",
            "Loaded files",
            "Loading JS modules",
            "Loaded JS modules",
            "Loaded MicroPython",
        ),
        script_type="mpy",
        idle_type="py",
        interpreter=lambda urls, _: micropython_interpreter(urls[MICROPYTHON.mount]),
        bundle=micropython_bundle,
        preloads=micropython_preloads,
    ),
}


@dataclass(frozen=True)
class Engine:
    key: str  # ?engine=KEY and <html data-engine="KEY">
    label: str  # what the page calls it
    runtime: Runtime | None = None  # the Python runtime PyScript starts; None for JavaScript
    config_url: str = ""  # where PyScript finds this engine's config
    worker: bool = False  # runs in a PyScript worker: <script type="py" worker>
    # The PyScript config lists the client's files rather than its archive: PyScript unpacks
    # a zip for MicroPython with a JS zip reader it must first load, which cost more start-up
    # than fetching the files in parallel (docs/performance.md). Pyodide unpacks zips natively.
    unpacked: bool = False
    # /compare offers it. Not the worker: inside a pane, the worker and its page's main thread
    # never heard each other over their BroadcastChannel, which is not understood yet.
    comparable: bool = True
    # The page opens its WebSocket from a classic script while the runtime loads, and the
    # engine adopts it (public/connect.js): MicroPython boots fast enough that the connect
    # and snapshot were a visible share of its start-up.
    early_socket: bool = False
    script: str = ""  # the module that runs an engine PyScript does not

    @property
    def facts(self) -> RuntimeFacts | None:
        return None if self.runtime is None else RUNTIMES[self.runtime]

    def start_up(self) -> dict[str, object]:
        """What public/boot.js shows while a PyScript engine starts. In a worker, the runtime's
        own progress is the worker's: the page hears only that it is ready."""
        if self.facts is None:
            return {}
        return {
            "event_prefix": self.facts.script_type,
            "runtime": f"{self.facts.name}, in a worker" if self.worker else self.facts.name,
            "steps": list(self.facts.steps),
        }


ENGINES = (
    Engine("py", "Python · Pyodide", Runtime.PYODIDE, "/pyscript.json", early_socket=True),
    Engine(
        "py-worker",
        "Python · Pyodide in a worker",
        Runtime.PYODIDE,
        "/pyscript-worker.json",
        worker=True,
        comparable=False,
    ),
    Engine(
        "mpy",
        "Python · MicroPython",
        Runtime.MICROPYTHON,
        "/pyscript-mpy.json",
        unpacked=True,
        early_socket=True,
    ),
    Engine("js", "JavaScript", script="/public/baseline.js"),
)
BY_KEY = {engine.key: engine for engine in ENGINES}
DEFAULT_ENGINE = "py"
PYSCRIPT_ENGINES = tuple(engine for engine in ENGINES if engine.runtime is not None)
LABELS = tuple((engine.key, engine.label) for engine in ENGINES)  # the page's engine select
COMPARABLE = tuple((engine.key, engine.label) for engine in ENGINES if engine.comparable)


def engine_bundles(client_dir: Path, shims_dir: Path) -> dict[str, ClientBundle]:
    """Each PyScript engine's bundle, built once per runtime (the worker shares Pyodide's)."""
    built = {runtime: facts.bundle(client_dir, shims_dir) for runtime, facts in RUNTIMES.items()}
    return {
        engine.key: built[engine.runtime]
        for engine in PYSCRIPT_ENGINES
        if engine.runtime is not None
    }


def engine_config(
    engine: Engine,
    bundle: ClientBundle,
    vendor_urls: dict[str, str],
    snapshot: StartupSnapshot | None = None,
) -> dict[str, object]:
    """The PyScript config of a Python engine, with the interpreter its runtime needs (started
    from `snapshot` where the runtime can be)."""
    if engine.facts is None:
        raise ValueError(f"{engine.key} is not run by PyScript")
    interpreter = engine.facts.interpreter(vendor_urls, snapshot)
    return pyscript_config(interpreter, bundle, engine.unpacked, engine.worker)


def snapshot_bundle(bundles: dict[str, ClientBundle]) -> ClientBundle:
    """The client archive a start-up snapshot imports: the one its runtime's engines load."""
    return next(
        bundles[engine.key]
        for engine in PYSCRIPT_ENGINES
        if engine.facts is not None and engine.facts.snapshots
    )
