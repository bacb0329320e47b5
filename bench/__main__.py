"""Run every benchmark: `make bench` or `python -m bench`."""
from . import booking, desk, foundation

BENCHMARKS = [foundation, booking, desk]

if __name__ == "__main__":
    for benchmark in BENCHMARKS:
        benchmark.run()
