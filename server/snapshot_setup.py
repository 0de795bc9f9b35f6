"""Run inside Pyodide by server/pyodide_snapshot.mjs, just before the snapshot is taken: imports
what the page needs that never touches `js`, and compiles (without running) the client modules
that do, so the page imports those from bytecode instead of compiling their source each time.

The page checks the snapshot's SNAPSHOT_DIGEST against the archive it loads, so the compiled
code is always that of the files PyScript writes beside it.
"""

import importlib
import importlib.abc
import importlib.machinery
import os
import sys
from types import CodeType, ModuleType


class Precompiled(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports the modules compiled into the snapshot, each once; any other name (or a second
    import after a reload) goes to the usual finders."""

    def __init__(self, codes: dict[str, CodeType]) -> None:
        self.codes = codes

    def find_spec(
        self,
        fullname: str,
        path: object = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        code = self.codes.get(fullname)
        if code is None:
            return None
        spec = importlib.machinery.ModuleSpec(fullname, self, origin=code.co_filename)
        spec.has_location = True  # __file__ and tracebacks name the source PyScript wrote
        return spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        exec(self.codes.pop(module.__name__), module.__dict__)  # the bytecode of our own modules


def prepare(imports: list[str], compiled: list[str], digest: str) -> None:
    """Imports `imports`, compiles the modules `compiled` (names like client.main) and marks
    the client package with the archive's `digest`."""
    for name in imports:
        importlib.import_module(name)
    codes = {}
    for name in compiled:
        path = os.path.abspath(name.replace(".", "/") + ".py")
        with open(path, encoding="utf-8") as source:
            codes[name] = compile(source.read(), path, "exec", dont_inherit=True)
    sys.meta_path.insert(0, Precompiled(codes))
    client = importlib.import_module("client")
    client.SNAPSHOT_DIGEST = digest  # type: ignore[attr-defined]
