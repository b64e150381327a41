"""Benchmarks (`tfjs-bridge bench`, `make bench`): training loops, inference runtimes, export, with targets."""
