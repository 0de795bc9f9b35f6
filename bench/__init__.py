"""The benchmark: engines x loads in headless Chromium against the real server.

`python -m bench` (or `make bench`) from the CLI; from code,
`run(Settings.for_quick(output=d), Silent())` returns the result it wrote to `d` as JSON (its
`cells` the median of each engine x mode x load's repetitions, its `summary` each engine's
highest sustainable rate and the Python/JS ratios), beside the plot it drew as PNG.
"""

from bench.progress import Progress, Silent
from bench.runner import Outcome, run
from bench.settings import Settings

__all__ = ["Outcome", "Progress", "Settings", "Silent", "run"]
