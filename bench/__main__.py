"""Run every benchmark: `make bench` or `python -m bench`."""
from . import booking, foundation, sessions

BENCHMARKS = [foundation, booking, sessions]

if __name__ == "__main__":
    for benchmark in BENCHMARKS:
        benchmark.run()
