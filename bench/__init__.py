"""Benchmarks run by hand (`python -m bench.run`), not by pytest."""
