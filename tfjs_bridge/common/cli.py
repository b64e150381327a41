"""Pieces every command line shares: argparse types that range-check numbers, and the one-line error exit."""

import argparse
import math
import os
import sys
from pathlib import Path


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


def _shorten(text: str) -> str:
    return text if len(text) < 30 else text[:27] + "..."


def bounded_int(low: int, high: int):
    """argparse type: a whole number from low to high (so no flag can overflow int64 or run for ever)."""
    def parse(text: str) -> int:
        value = int(text)  # ValueError: argparse says "invalid int value: 'x'"
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low:,}, got {_shorten(text)}")
        return at_most_value(value, text, high)
    parse.__name__ = "int"
    return parse


def bounded_float(low: float, high: float):
    """argparse type: a finite number from low to high."""
    def parse(text: str) -> float:
        value = positive_float(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low:g} to {high:g}, got {_shorten(text)}")
        return value
    parse.__name__ = "number"
    return parse


def at_most_value(value: int, text: str, high: int) -> int:
    """value, or argparse's error when it is over high."""
    if value > high:
        raise argparse.ArgumentTypeError(f"must be at most {high:,}, got {_shorten(text)}")
    return value


def positive_int_to(high: int):
    """argparse type: positive_int, and at most high."""
    def parse(text: str) -> int:
        return at_most_value(positive_int(text), text, high)
    parse.__name__ = "positive_int"
    return parse


MAX_PATH_BYTES = 4096  # Linux PATH_MAX; NAME_MAX for each part
MAX_NAME_BYTES = 255


def folder_path(text: str) -> Path:
    """argparse type: a path that can name a file or folder (not empty, not over the system's length limits)."""
    raw = os.fsencode(text)
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    if len(raw) > MAX_PATH_BYTES or any(len(part) > MAX_NAME_BYTES for part in raw.split(b"/")):
        raise argparse.ArgumentTypeError(f"path too long ({len(raw):,} bytes): {text[:40]}...")
    return Path(text)


def output_folder(text: str) -> Path:
    """argparse type: a folder to create or replace: a folder_path whose last part names it (not '.', '..' or '/')."""
    path = folder_path(text)
    if path.name in ("", ".", "..") or Path(os.path.normpath(text)).name in ("", ".", ".."):
        raise argparse.ArgumentTypeError(f"{text!r} does not name a folder to write (give e.g. artifacts/mlp)")
    return path
