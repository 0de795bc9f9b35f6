"""A tiny test runner for the portable tests, for engines without pytest (Pyodide, MicroPython).

`run(["tests.portable.test_signals", ...])` imports each module, calls every callable whose name
starts with `test_` (sorted by name: MicroPython's dicts keep no definition order) and returns
`{"passed": [names], "failed": [{"name": ..., "error": ..., "traceback": ...}], "total": n}`.
Names are qualified, "tests.portable.test_signals.test_x"; a module that fails to import is
reported as one failure under the module's name. Stdlib only, plain syntax.
"""

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType

try:
    import traceback
except ImportError:  # MicroPython has no traceback module unless micropython-lib adds one
    traceback = None  # type: ignore[assignment]


def describe(error: "BaseException") -> "str":
    """The exception as "TypeName: message", or the type's name alone for a bare assert."""
    message = str(error)
    name = type(error).__name__
    if message:
        return name + ": " + message
    return name


def trace(error: "BaseException") -> "str":
    """The formatted traceback, or "" where the engine cannot produce one."""
    if traceback is None:
        return ""
    try:
        lines = traceback.format_exception(type(error), error, error.__traceback__)
    except Exception:
        return ""
    return "".join(lines)


def failure(name: "str", error: "BaseException") -> "dict[str, str]":
    entry = {"name": name, "error": describe(error)}
    text = trace(error)
    if text:
        entry["traceback"] = text
    return entry


def load(module_name: "str") -> "ModuleType":
    __import__(module_name)
    return sys.modules[module_name]


def collect(module: "ModuleType") -> "list[str]":
    names = []
    for name in dir(module):
        if name.startswith("test_") and callable(getattr(module, name)):
            names.append(name)
    names.sort()
    return names


def run(module_names: "list[str]") -> "dict[str, object]":
    passed: "list[str]" = []
    failed: "list[dict[str, str]]" = []
    for module_name in module_names:
        try:
            module = load(module_name)
        except Exception as error:
            failed.append(failure(module_name, error))
            continue
        for name in collect(module):
            qualified = module_name + "." + name
            try:
                getattr(module, name)()
            except Exception as error:
                failed.append(failure(qualified, error))
            else:
                passed.append(qualified)
    return {"passed": passed, "failed": failed, "total": len(passed) + len(failed)}
