"""`python -m bench.plot RUN.json --output PATH`: draw a saved run's plot again."""

import argparse
import json
import sys
from pathlib import Path

from bench.plot import draw

PLOT_SUFFIX = ".png"


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog="python -m bench.plot", description=__doc__)
    cli.add_argument("run", type=Path, help="a result written by `python -m bench` (JSON)")
    cli.add_argument(
        "--output", type=Path, help="where to draw it (default: RUN with .png beside it)"
    )
    args = cli.parse_args(argv)
    data = json.loads(args.run.read_text(encoding="utf-8"))
    output = args.output or args.run.with_suffix(PLOT_SUFFIX)
    draw(data, output)
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
