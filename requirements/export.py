"""Write (or, with --check, verify) the hash-pinned requirement files that `make` installs from
uv.lock: run.txt for `make run`, redis.txt for `make run-cluster` (Redis and PostgreSQL's
drivers), test.txt for `make test`.

`make lock` upgrades uv.lock and runs this; docs/operations.md says when and how.
"""

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
UV = Path(sys.executable).parent / "uv"
COMMON = ["export", "--frozen", "--no-emit-project", "--no-header", "--format", "requirements-txt"]
EXPORTS = {
    "run.txt": ["--no-default-groups"],
    "redis.txt": ["--no-default-groups", "--extra", "redis", "--extra", "postgres"],
    "test.txt": ["--all-groups", "--extra", "redis", "--extra", "postgres"],
}
HEADER = "# Generated from uv.lock by requirements/export.py (make lock); do not edit.\n"


def exported(options: list[str]) -> str:
    result = subprocess.run(
        [str(UV), *COMMON, *options], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return HEADER + result.stdout


def main() -> int:
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("--check", action="store_true", help="fail if a file is out of date")
    args = cli.parse_args()
    stale = []
    for name, options in EXPORTS.items():
        path = HERE / name
        text = exported(options)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"out of date with uv.lock: {', '.join(stale)} (run `make lock`)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
