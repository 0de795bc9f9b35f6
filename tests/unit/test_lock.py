"""The Python dependencies install from a lock: uv.lock agrees with pyproject.toml, and the
hash-pinned requirement files `make` installs agree with uv.lock."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

UV = Path(sys.executable).parent / "uv"
REQUIREMENTS = ("run.txt", "redis.txt", "test.txt")
PINNED = re.compile(r"^[A-Za-z0-9._-]+==[^\s;]+( ; .+)? \\$")


def test_the_lock_agrees_with_pyproject() -> None:
    result = subprocess.run(
        [UV, "lock", "--check", "--offline"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_the_requirement_files_agree_with_the_lock() -> None:
    result = subprocess.run(
        [sys.executable, "requirements/export.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", REQUIREMENTS)
def test_every_requirement_is_pinned_with_its_hashes(name: str) -> None:
    lines = (ROOT / "requirements" / name).read_text(encoding="utf-8").splitlines()
    requirements = [line for line in lines if line and not line.startswith((" ", "#"))]
    assert requirements
    for line in requirements:
        assert PINNED.match(line), line
        following = lines[lines.index(line) + 1]
        assert following.strip().startswith("--hash=sha256:"), line
