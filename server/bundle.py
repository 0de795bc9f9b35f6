"""The Python client as the browser engines load it: one zip archive and a PyScript config.

The archive's URL carries a hash of its contents, so it is cached forever and a changed client
can never be served stale. PyScript unpacks it into the interpreter's working directory, where
`import client` finds it. Each PyScript engine gets its own archive and config: MicroPython's
archive also carries, at its root, the shims for the stdlib names MicroPython lacks
(shims/micropython/), so the very same client package imports there unchanged, and ships
compiled to MicroPython bytecode (server/mpy.py).
"""

import hashlib
import io
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server import mpy
from server.vendor import IMMUTABLE

HASH_LENGTH = 12
PYTHON = "text/x-python"
BRIDGE_URL = "/public/bridge.js"
SNAPSHOT_OFF = "off"  # ?snapshot=off: Pyodide boots the normal way, for comparison
# PyScript plugins the dashboard does not use; each would be another request at start-up.
UNUSED_PLUGINS = (
    "codemirror",
    "deprecations-manager",
    "donkey",
    "error",
    "py-editor",
    "py-game",
    "py-terminal",
)
# A fixed timestamp keeps the archive's bytes (and so its hash) a function of the sources only.
ZIP_EPOCH = (2026, 1, 1, 0, 0, 0)


# A module's path in the bundle and its source -> the path and bytes it ships as.
Compiler = Callable[[str, bytes], tuple[str, bytes]]


@dataclass(frozen=True)
class ClientBundle:
    archive: bytes
    digest: str
    sources: dict[str, bytes]  # the archive's members, by path

    @property
    def url(self) -> str:
        return f"/client-{self.digest}.zip"

    def source_url(self, name: str) -> str:
        """One member on its own, as immutable as the archive (its URL has the same hash)."""
        return f"/client-{self.digest}/{name}"

    def preloads(self, unpacked: bool) -> list[str]:
        return [self.source_url(name) for name in self.sources] if unpacked else [self.url]

    @classmethod
    def build(
        cls, package: Path, shims: Path | None = None, compiler: Compiler | None = None
    ) -> "ClientBundle":
        """The package's modules under its name, and `shims`' modules at the archive's root;
        each one passed through `compiler` if given (its name and bytes as they ship)."""
        paths = [(f"{package.name}/{path.name}", path) for path in sorted(package.glob("*.py"))]
        if shims is not None:
            paths += [(path.name, path) for path in sorted(shims.glob("*.py"))]
        members = [(name, path.read_bytes()) for name, path in paths]
        if compiler is not None:
            members = [compiler(name, source) for name, source in members]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, source in members:
                info = zipfile.ZipInfo(name, ZIP_EPOCH)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, source)
        data = buffer.getvalue()
        # The hash covers what ships, compiled bytes included, so a new compiler means new URLs.
        return cls(data, hashlib.sha256(data).hexdigest()[:HASH_LENGTH], dict(members))


def pyscript_config(
    interpreter_url: str, bundle: ClientBundle, unpacked: bool = False, worker: bool = False
) -> dict[str, object]:
    """`unpacked` lists every source file instead of the archive (see server/engines.py)."""
    files = (
        {bundle.source_url(name): "./" + name for name in bundle.sources}
        if unpacked
        else {bundle.url: "./*"}
    )
    return {
        "interpreter": interpreter_url,
        "files": files,
        "plugins": [f"!{name}" for name in UNUSED_PLUGINS],
        "js_modules": js_modules(worker),
    }


def idle_config() -> dict[str, object]:
    """The config of PyScript's other interpreter type, which the page does not run: without
    one, PyScript loads every plugin for it too (six more modules on each start)."""
    return {"plugins": [f"!{name}" for name in UNUSED_PLUGINS]}


def js_modules(worker: bool) -> dict[str, dict[str, str]]:
    """bridge.js as client/runtime.py imports it: pyscript.js_modules.tickscope_bridge on the
    main thread and, for an engine in a worker, its own copy there as tickscope_local."""
    modules = {"main": {BRIDGE_URL: "tickscope_bridge"}}
    if worker:
        modules["worker"] = {BRIDGE_URL: "tickscope_local"}
    return modules


async def archive(request: Request) -> Response:
    bundles: dict[str, ClientBundle] = request.app.state.bundles
    for bundle in bundles.values():
        if request.path_params["digest"] == bundle.digest:
            return Response(
                bundle.archive, media_type="application/zip", headers={"Cache-Control": IMMUTABLE}
            )
    return Response("this client archive is not the current one; reload the page", 404)


async def source(request: Request) -> Response:
    bundles: dict[str, ClientBundle] = request.app.state.bundles
    name = request.path_params["name"]
    for bundle in bundles.values():
        if request.path_params["digest"] == bundle.digest and name in bundle.sources:
            return Response(
                bundle.sources[name],
                media_type=mpy.MEDIA_TYPE if name.endswith(mpy.COMPILED_SUFFIX) else PYTHON,
                headers={"Cache-Control": IMMUTABLE},
            )
    return Response("this client file is not the current one; reload the page", 404)


def booting(request: Request) -> bool:
    """`?snapshot=off`: Pyodide boots the normal way, not from the start-up snapshot."""
    return request.query_params.get("snapshot") == SNAPSHOT_OFF


def requested_config(request: Request, engine: str) -> dict[str, object]:
    """`engine`'s PyScript config, as the request asks for it (see `booting`)."""
    state = request.app.state
    configs = state.booting_configs if booting(request) else state.pyscript_configs
    config: dict[str, object] = configs[engine]
    return config


def config_endpoint(engine: str) -> Callable[[Request], Awaitable[Response]]:
    """The config a page of `engine` embeds."""

    async def config(request: Request) -> Response:
        return JSONResponse(
            requested_config(request, engine), headers={"Cache-Control": "no-cache"}
        )

    return config
