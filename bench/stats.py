"""Summary statistics shared by the benchmarks: spreads, interleaved repeats, load-checked phases, a line fit."""

import os
import statistics
import sys
import time

import numpy as np

# A phase is repeated when the 1-minute load average moved by more than this many cores while it ran.
LOAD_TOLERANCE = 1.0
PHASE_ATTEMPTS = 3


def spread(values) -> dict:
    """min / median / max of repeated measurements."""
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def interleave(sides: dict, rounds: int) -> dict:
    """Call every side once per round, in turn (A B C A B C ...): a change in the machine's load hits all alike.

    sides maps a key to a function returning one measurement; the result maps each key to its list of rounds.
    """
    samples = {key: [] for key in sides}
    for _ in range(rounds):
        for key, measure in sides.items():
            samples[key].append(measure())
    return samples


def ratio(a: list[float], b: list[float]) -> dict:
    """median(a) / median(b), with the min and max of the same-round ratios a[i] / b[i] beside it."""
    rounds = [x / y for x, y in zip(a, b, strict=True)]
    return {"median": statistics.median(a) / statistics.median(b), "min": min(rounds), "max": max(rounds)}


def load_checked(name: str, run, log=None, attempts: int = PHASE_ATTEMPTS):
    """run() with the load average recorded before and after; repeated while it moved by more than LOAD_TOLERANCE."""
    log = log or (lambda msg: print(f"[bench] {msg}", file=sys.stderr, flush=True))
    for attempt in range(1, attempts + 1):
        before, started = os.getloadavg()[0], time.perf_counter()
        result = run()
        after = os.getloadavg()[0]
        record = {"phase": name, "load_before": before, "load_after": after, "attempts": attempt,
                  "steady": abs(after - before) <= LOAD_TOLERANCE, "seconds": time.perf_counter() - started}
        if record["steady"]:
            break
        log(f"{name}: load average moved {before:.2f} → {after:.2f} (more than {LOAD_TOLERANCE:g} core)"
            + ("; repeating the phase" if attempt < attempts else "; kept, and flagged in the report"))
    return result, record


def line_fit(xs, ys) -> dict:
    """Least-squares y = intercept + slope * x, with R² (the share of y's variance the line explains)."""
    x, y = np.asarray(xs, float), np.asarray(ys, float)
    slope, intercept = np.polyfit(x, y, 1)
    residual = float(np.sum((y - (intercept + slope * x)) ** 2))
    total = float(np.sum((y - y.mean()) ** 2))
    return {"intercept": float(intercept), "slope": float(slope), "r2": 1 - residual / total if total else 1.0}
