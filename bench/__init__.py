"""Benchmarks; results and the commands that made them are in BENCHMARKS.md."""
