"""Benchmarks for DESIGN §6 (run with `make bench`); never timed assertions inside tests/."""
