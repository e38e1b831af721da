"""Reproducible benchmarks: `python -m bench.NAME`; each prints its figures as one JSON line last."""
