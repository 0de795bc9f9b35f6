"""`from __future__ import annotations` under MicroPython, which has no `__future__` module.

MicroPython never evaluates annotations, so the feature is already what the client needs; the
name only has to be importable. The server puts this directory at the root of the MicroPython
engine's archive only (see server/bundle.py): CPython and Pyodide use their own `__future__`.
"""

annotations = True
