"""The worked examples of the code panel: indicators written the way a user writes them, each
run on closed bars under Pyodide and MicroPython alike (tests/portable/test_examples.py), so
they use only what both have: plain Python and `math`."""

KALMAN = """\
# A one-dimensional Kalman filter on the close: it follows the price
# and smooths out the noise. Raise Q to follow faster, R to smooth more.
Q = 1e-5  # how much the true price may move per bar (relative)
R = 1e-4  # how noisy one close is (relative)
estimate = None
error = 1.0


def update(bar):
    global estimate, error
    if estimate is None:
        estimate = bar.c
        return estimate
    error += Q * estimate * estimate
    gain = error / (error + R * bar.c * bar.c)
    estimate += gain * (bar.c - estimate)
    error *= 1 - gain
    return estimate
"""

ZSCORE = """\
# A z-score band: the mean of the last N closes, and where a close
# would stand Z standard deviations away from it.
import math

N = 30
Z = 2.5


class Band:
    def __init__(self):
        self.closes = []

    def update(self, close):
        self.closes.append(close)
        if len(self.closes) > N:
            self.closes.pop(0)
        if len(self.closes) < N:
            return None
        mean = sum(self.closes) / N
        spread = math.sqrt(sum((c - mean) ** 2 for c in self.closes) / N)
        return {"mean": mean, "high": mean + Z * spread, "low": mean - Z * spread}


band = Band()


def update(bar):
    return band.update(bar.c)
"""

TYPICAL = """\
# Five lines: the mean of the last 10 typical prices, (high + low + close) / 3.
seen = []

def update(bar):
    seen.append((bar.h + bar.l + bar.c) / 3)
    del seen[:-10]
    return sum(seen) / len(seen)
"""

EXAMPLES = (
    ("kalman", "Kalman-filtered price", KALMAN),
    ("zscore", "Z-score band", ZSCORE),
    ("typical", "Mean typical price (five lines)", TYPICAL),
)
BY_NAME = {name: code for name, _, code in EXAMPLES}
