"""Checks of a benchmark command's JSON output, shared by the bench, soak and load smoke tests."""

from collections.abc import Mapping
from typing import Any

NUMBER = (int, float)


def has_keys(node: Any, keys: set[str], where: str) -> None:
    assert isinstance(node, Mapping), f"{where} is not an object: {node!r}"
    missing = keys - node.keys()
    assert not missing, f"{where} lacks {sorted(missing)}"


def is_number(value: Any) -> bool:
    return isinstance(value, NUMBER) and not isinstance(value, bool)
