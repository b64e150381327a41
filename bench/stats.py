"""Summary statistics shared by the benchmarks."""

import statistics


def spread(values) -> dict:
    """min / median / max of repeated measurements."""
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}
