"""Benchmarks; results and the commands that produce them are in BENCHMARKS.md."""
