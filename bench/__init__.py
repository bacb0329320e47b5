"""Benchmarks, run with `make bench`. Each prints its figures next to a baseline measured in the
same run, because the machines here are shared and noisy: ratios travel, absolute numbers less."""
