"""Every engine the dashboard runs, in one table: adding an engine is one row of `ENGINES`.

An engine is what `?engine=` picks: the JavaScript baseline, or the Python client under one of
PyScript's runtimes (Pyodide or MicroPython), on the page's main thread or in a worker. What
differs between runtimes (their <script type>, interpreter, client bundle) is in `RUNTIMES`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from server import mpy
from server.bundle import ClientBundle, pyscript_config
from server.vendor import MICROPYTHON, PYODIDE, micropython_interpreter


class Runtime(StrEnum):
    PYODIDE = "pyodide"
    MICROPYTHON = "micropython"


@dataclass(frozen=True)
class RuntimeFacts:
    script_type: str  # PyScript's <script type=…> that starts this runtime
    idle_type: str  # PyScript's other type, which the page configures but never runs
    interpreter: Callable[[dict[str, str]], str]  # the vendor mounts' URLs -> interpreter URL
    bundle: Callable[[Path, Path], ClientBundle]  # client dir, shims dir -> what it loads


def pyodide_bundle(client_dir: Path, shims_dir: Path) -> ClientBundle:
    return ClientBundle.build(client_dir)


def micropython_bundle(client_dir: Path, shims_dir: Path) -> ClientBundle:
    """With the shims for the stdlib names MicroPython lacks, compiled to its bytecode."""
    return ClientBundle.build(client_dir, shims_dir, mpy.compile_module)


RUNTIMES = {
    Runtime.PYODIDE: RuntimeFacts(
        script_type="py",
        idle_type="mpy",
        interpreter=lambda urls: f"{urls[PYODIDE.mount]}/pyodide.mjs",
        bundle=pyodide_bundle,
    ),
    Runtime.MICROPYTHON: RuntimeFacts(
        script_type="mpy",
        idle_type="py",
        interpreter=lambda urls: micropython_interpreter(urls[MICROPYTHON.mount]),
        bundle=micropython_bundle,
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
    # a zip for MicroPython with a 160 KB JS zip reader, which cost ~0.3 s of its start-up
    # here, more than fetching the ~16 files in parallel. Pyodide unpacks zips natively.
    unpacked: bool = False
    # /compare offers it. Not the worker: inside a pane, the worker and its page's main thread
    # never heard each other over their BroadcastChannel, which is not understood yet.
    comparable: bool = True

    @property
    def facts(self) -> RuntimeFacts | None:
        return None if self.runtime is None else RUNTIMES[self.runtime]


ENGINES = (
    Engine("py", "Python · Pyodide", Runtime.PYODIDE, "/pyscript.json"),
    Engine(
        "py-worker",
        "Python · Pyodide in a worker",
        Runtime.PYODIDE,
        "/pyscript-worker.json",
        worker=True,
        comparable=False,
    ),
    Engine("mpy", "Python · MicroPython", Runtime.MICROPYTHON, "/pyscript-mpy.json", unpacked=True),
    Engine("js", "JavaScript"),
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
    engine: Engine, bundle: ClientBundle, vendor_urls: dict[str, str]
) -> dict[str, object]:
    """The PyScript config of a Python engine, with the interpreter its runtime needs."""
    if engine.facts is None:
        raise ValueError(f"{engine.key} is not run by PyScript")
    return pyscript_config(
        engine.facts.interpreter(vendor_urls), bundle, engine.unpacked, engine.worker
    )
