"""Serve the app with gunicorn on a loopback port and measure pages under concurrent load."""
import http.cookiejar
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from html import unescape
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

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


def settle(database_url):
    """After a bulk load, what PostgreSQL's autovacuum does within a minute or so: refresh the
    planner's statistics and the visibility map (index-only scans), so that the figures measure
    the app on a database in its usual state rather than the moment autovacuum happens to run."""
    if not database_url.startswith("postgresql"):
        return
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))
    finally:
        engine.dispose()


@contextmanager
def postgresql_database(server_url):
    """A uniquely named PostgreSQL database on the server of `server_url`, dropped at the end.

    Yields the URL of the new (empty) database; wrap it in `database(url)` to migrate it.
    """
    name = f"tiers_lieu_bench_{secrets.token_hex(6)}"
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with engine.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


@contextmanager
def _sqlite_database():
    with database() as env:
        yield env


@contextmanager
def _postgresql_database(server_url):
    with postgresql_database(server_url) as url, database(url) as env:
        yield env


def databases():
    """[(label, context manager yielding a migrated database's environment), …]: SQLite always,
    and PostgreSQL when BENCH_DATABASE_URL points at a server (a database of its own is created
    there and dropped afterwards)."""
    backends = [("SQLite", _sqlite_database)]
    server_url = os.environ.get("BENCH_DATABASE_URL")
    if server_url:
        backends.append(("PostgreSQL", lambda: _postgresql_database(server_url)))
    return backends


@contextmanager
def gunicorn(env, workers=2, args=()):
    """Serve wsgi:app on a free loopback port; `args` are more gunicorn options."""
    port = free_port()
    process = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", *args, "wsgi:app"],
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


def throughput(url, seconds=3.0, clients=8, cookie=None):
    """Requests per second and median latency of GETs on one URL, from several client threads.

    With a cookie (a staff session), an answer that is not the page itself (a redirect to the
    login page) counts as an error.
    """
    deadline = time.perf_counter() + seconds
    latencies, errors = [], []
    lock = threading.Lock()

    def client():
        mine, failed = [], 0
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
                with urllib.request.urlopen(request, timeout=10) as response:
                    response.read()
                    if cookie and (response.status != 200 or "/login" in response.url):
                        failed += 1
                        continue
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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One client's cookies, like a browser tab: GET pages, POST forms, redirects not followed.

    `get` and `post` return (status, body); error statuses are returned, not raised.
    """

    def __init__(self, base):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies),
                                                  _NoRedirect())

    def _open(self, request):
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read().decode(errors="replace")

    def get(self, path):
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path, fields):
        data = urllib.parse.urlencode(fields).encode()
        return self._open(urllib.request.Request(self.base + path, data=data, method="POST"))


HIDDEN_INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
ATTRIBUTE = re.compile(r'(\w[\w-]*)="([^"]*)"')


def hidden_fields(html):
    """{name: value} of the hidden inputs of a page (csrf_token, request_key…)."""
    fields = {}
    for tag in HIDDEN_INPUT.findall(html):
        attributes = dict(ATTRIBUTE.findall(tag))
        if attributes.get("type", "").lower() == "hidden" and "name" in attributes:
            fields[attributes["name"]] = unescape(attributes.get("value", ""))
    return fields


def report(title, rows, baseline):
    """Print a table of figures; a row's ratio to the baseline is computed unless it brings one."""
    width = max(34, *(len(name) + 2 for name, _ in rows))
    print(f"\n{title}")
    print(f"  {'page':<{width}}{'req/s':>10}{'median ms':>12}{'ratio':>8}{'errors':>8}")
    for name, figures in rows:
        ratio = figures.get("ratio") or (figures["rps"] / baseline["rps"] if baseline["rps"] else float("nan"))
        print(f"  {name:<{width}}{figures['rps']:>10.0f}{figures['median_ms']:>12.1f}{ratio:>8.2f}"
              f"{figures['errors']:>8}")
