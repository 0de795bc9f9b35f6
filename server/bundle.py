"""The Python client as the browser engines load it: one zip archive and a PyScript config.

The archive's URL carries a hash of its contents, so it is cached forever and a changed client
can never be served stale. PyScript unpacks it into the interpreter's working directory, where
`import client` finds it.
"""

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.vendor import IMMUTABLE

HASH_LENGTH = 12
BRIDGE_URL = "/public/bridge.js"
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


@dataclass(frozen=True)
class ClientBundle:
    archive: bytes
    digest: str

    @property
    def url(self) -> str:
        return f"/client-{self.digest}.zip"

    @classmethod
    def build(cls, package: Path) -> "ClientBundle":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for source in sorted(package.glob("*.py")):
                info = zipfile.ZipInfo(f"{package.name}/{source.name}", ZIP_EPOCH)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, source.read_bytes())
        data = buffer.getvalue()
        return cls(data, hashlib.sha256(data).hexdigest()[:HASH_LENGTH])


def pyscript_config(interpreter_url: str, bundle: ClientBundle) -> dict[str, object]:
    return {
        "interpreter": interpreter_url,
        "files": {bundle.url: "./*"},
        "plugins": [f"!{name}" for name in UNUSED_PLUGINS],
        # client/runtime.py imports it as pyscript.js_modules.tickscope_bridge
        "js_modules": {"main": {BRIDGE_URL: "tickscope_bridge"}},
    }


async def archive(request: Request) -> Response:
    bundle: ClientBundle = request.app.state.bundle
    if request.path_params["digest"] != bundle.digest:
        return Response("this client archive is not the current one; reload the page", 404)
    return Response(
        bundle.archive, media_type="application/zip", headers={"Cache-Control": IMMUTABLE}
    )


async def config(request: Request) -> Response:
    return JSONResponse(request.app.state.pyscript_config, headers={"Cache-Control": "no-cache"})
