"""Benchmarks (`python -m bench`, `make bench`): training loops, inference runtimes, export, with targets."""

import train  # noqa: F401  (configures TensorFlow's logging before any benchmark module imports it)
