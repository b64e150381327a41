"""Pieces every command line shares: argparse types that range-check numbers, and the one-line error exit."""

import argparse
import math
import sys


def fail(message) -> int:
    """Print `error: message` as one line on stderr; return exit code 2 (bad input)."""
    print(f"error: {str(message).splitlines()[0] if str(message) else type(message).__name__}", file=sys.stderr)
    return 2


def positive_int(text: str) -> int:
    """argparse type: a whole number ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value
