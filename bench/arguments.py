"""Argument converters shared by the benchmark commands: one-line errors for bad values."""

import argparse


def positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


# argparse names the converter in its message.
positive.__name__ = "seconds"
count.__name__ = "count"
