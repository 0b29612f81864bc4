"""Benchmarks: `make bench` runs them all and prints figures (never asserts a speed)."""
