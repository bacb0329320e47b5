"""Run every benchmark: `make bench` or `python -m bench`."""
from . import booking, foundation, stats

BENCHMARKS = [foundation, booking, stats]

if __name__ == "__main__":
    for benchmark in BENCHMARKS:
        benchmark.run()
