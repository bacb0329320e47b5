"""Run every benchmark: `make bench` or `python -m bench`."""
from . import booking, desk, foundation, privacy, sessions, stats

BENCHMARKS = [foundation, booking, desk, sessions, stats, privacy]

if __name__ == "__main__":
    for benchmark in BENCHMARKS:
        benchmark.run()
