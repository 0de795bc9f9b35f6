"""The client package must run under MicroPython: a few stdlib modules and plain syntax only."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "client"
# gc is built into both (runtime.py tunes MicroPython's collector through it); io too (it
# prints an error's trace into a string).
ALLOWED_MODULES = frozenset({"json", "math", "time", "random", "collections", "sys", "gc", "io"})
# `from __future__ import annotations` is shimmed for MicroPython, which ignores annotations.
SHIMMED = frozenset({"__future__"})
TYPE_CHECKING_ONLY = frozenset({"typing"})
# The browser's own modules, which only the boundary module may import (with traceback, which
# only Pyodide has: under MicroPython the boundary falls back to sys.print_exception).
BROWSER_MODULES = frozenset({"js", "pyscript", "pyodide", "traceback"})
BOUNDARY = "client/runtime.py"
MISSING_IN_MICROPYTHON = frozenset({"dataclasses", "enum", "statistics"})


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _check_module(name: str, line: int, in_type_checking: bool, boundary: bool) -> str | None:
    top = name.split(".", maxsplit=1)[0]
    if top in MISSING_IN_MICROPYTHON:
        return f"{line}: imports {name!r}, which MicroPython lacks"
    if top in ALLOWED_MODULES or top in SHIMMED:
        return None
    if top in BROWSER_MODULES:
        return (
            None if boundary else f"{line}: imports {name!r}; only {BOUNDARY} touches the browser"
        )
    if top in TYPE_CHECKING_ONLY:
        if in_type_checking:
            return None
        return f"{line}: imports {name!r} outside an `if TYPE_CHECKING:` block"
    allowed = ", ".join(sorted(ALLOWED_MODULES))
    return f"{line}: imports {name!r}; allowed are relative imports and {allowed}"


def _walk(node: ast.AST, in_type_checking: bool, problems: list[str], boundary: bool) -> None:
    if isinstance(node, ast.Import):
        for alias in node.names:
            problem = _check_module(alias.name, node.lineno, in_type_checking, boundary)
            if problem:
                problems.append(problem)
    elif isinstance(node, ast.ImportFrom):
        if node.level == 0:
            problem = _check_module(node.module or "", node.lineno, in_type_checking, boundary)
            if problem:
                problems.append(problem)
    elif isinstance(node, ast.Match):
        problems.append(f"{node.lineno}: `match` statement, which MicroPython lacks")
    if isinstance(node, ast.If) and _is_type_checking(node.test):
        _walk(node.test, in_type_checking, problems, boundary)
        for statement in node.body:
            _walk(statement, True, problems, boundary)
        for statement in node.orelse:
            _walk(statement, in_type_checking, problems, boundary)
        return
    for child in ast.iter_child_nodes(node):
        _walk(child, in_type_checking, problems, boundary)


def portability_problems(source: str, filename: str) -> list[str]:
    """Problems of one module's source, each as `filename:line: what`."""
    problems: list[str] = []
    _walk(ast.parse(source, filename=filename), False, problems, filename == BOUNDARY)
    return [f"{filename}:{problem}" for problem in problems]


CLIENT_FILES = sorted(CLIENT.rglob("*.py"))


def test_client_package_has_modules_to_check() -> None:
    names = {path.name for path in CLIENT_FILES}
    assert {"__init__.py", "protocol.py", "texts.py"} <= names


@pytest.mark.parametrize("path", CLIENT_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_client_module_uses_only_micropython_portable_imports_and_syntax(path: Path) -> None:
    relative = str(path.relative_to(ROOT))
    problems = portability_problems(path.read_text(encoding="utf-8"), relative)
    assert not problems, "not portable to MicroPython:\n" + "\n".join(problems)


def test_checker_reports_each_unportable_construct_with_file_and_line() -> None:
    source = "\n".join(
        [
            "import json",  # 1 ok
            "from . import protocol",  # 2 ok
            "from .views import x",  # 3 ok
            "import os",  # 4
            "from dataclasses import dataclass",  # 5
            "import enum",  # 6
            "from statistics import mean",  # 7
            "from typing import Any",  # 8: outside TYPE_CHECKING
            "TYPE_CHECKING = False",
            "if TYPE_CHECKING:",
            "    from typing import List",  # 11 ok
            "    import typing",  # 12 ok
            "else:",
            "    import typing as t",  # 14: the else branch runs
            "def f(v):",
            "    import collections.abc",  # 16 ok
            "    match v:",  # 17
            "        case _:",
            "            return 1",
            "import js",  # 20: only the boundary module may
            "from __future__ import annotations",  # 21 ok: shimmed
        ]
    )
    problems = portability_problems(source, "client/bad.py")
    lines = [int(problem.split(":")[1]) for problem in problems]
    assert lines == [4, 5, 6, 7, 8, 14, 17, 20], problems
    assert portability_problems("import js\nfrom pyscript.ffi import create_proxy", BOUNDARY) == []
    assert all(problem.startswith("client/bad.py:") for problem in problems)
