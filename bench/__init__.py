"""Benchmarks: bench/run and the scripts beside it (see README.md)."""
