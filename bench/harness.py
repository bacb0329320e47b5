"""Serve the app with gunicorn on a loopback port and measure pages under concurrent load."""
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flask(args, env):
    subprocess.run([PYTHON, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


@contextmanager
def database(url=None):
    """A fresh, migrated SQLite database in a temporary folder (or the given URL)."""
    with tempfile.TemporaryDirectory(prefix="tiers-lieu-bench-") as folder:
        env = {**os.environ, "DATABASE_URL": url or f"sqlite:///{folder}/bench.db",
               "RATELIMIT_STORAGE_URI": "memory://", "LOGIN_FAILURES_PER_ADDRESS": "100000 per minute"}
        flask(["db", "upgrade"], env)
        yield env


@contextmanager
def gunicorn(env, workers=2):
    port = free_port()
    process = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("gunicorn did not start")
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def throughput(url, seconds=3.0, clients=8):
    """Requests per second and median latency of GETs on one URL, from several client threads."""
    deadline = time.perf_counter() + seconds
    latencies, errors = [], []
    lock = threading.Lock()

    def client():
        mine, failed = [], 0
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    response.read()
            except OSError:
                failed += 1
                continue
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)
            errors.append(failed)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return {
        "rps": len(latencies) / elapsed,
        "median_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "errors": sum(errors),
    }


def report(title, rows, baseline):
    print(f"\n{title}")
    print(f"  {'page':<34}{'req/s':>10}{'median ms':>12}{'ratio':>8}{'errors':>8}")
    for name, figures in rows:
        ratio = figures["rps"] / baseline["rps"] if baseline["rps"] else float("nan")
        print(f"  {name:<34}{figures['rps']:>10.0f}{figures['median_ms']:>12.1f}{ratio:>8.2f}"
              f"{figures['errors']:>8}")
