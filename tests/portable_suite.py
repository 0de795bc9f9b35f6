"""The portable suite as the in-engine runs load it (CPython side): which modules, which source
files, and the test names CPython collects, which every engine must pass too."""

import importlib
import inspect

from tests.conftest import ROOT

PORTABLE = ROOT / "tests" / "portable"


def portable_modules() -> list[str]:
    return [f"tests.portable.{path.stem}" for path in sorted(PORTABLE.glob("test_*.py"))]


def portable_sources() -> dict[str, str]:
    """Every file the runner imports, by its path relative to the working directory."""
    paths = [
        ROOT / "tests" / "__init__.py",
        PORTABLE / "__init__.py",
        PORTABLE / "check.py",
        PORTABLE / "runner.py",
        *sorted(PORTABLE.glob("test_*.py")),
    ]
    return {path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8") for path in paths}


def names_under_cpython() -> set[str]:
    """What pytest would collect from the same modules: the names an engine must also pass."""
    names: set[str] = set()
    for module_name in portable_modules():
        module = importlib.import_module(module_name)
        names.update(
            f"{module_name}.{name}"
            for name, _ in inspect.getmembers(module, callable)
            if name.startswith("test_")
        )
    return names


def describe_failures(failures: list[dict[str, str]]) -> str:
    return "\n\n".join(
        f"{failure['name']}: {failure['error']}\n{failure.get('traceback', '')}".rstrip()
        for failure in failures
    )
