"""Run every benchmark: `make bench` or `python -m bench`."""
from . import foundation

BENCHMARKS = [foundation]

if __name__ == "__main__":
    for benchmark in BENCHMARKS:
        benchmark.run()
