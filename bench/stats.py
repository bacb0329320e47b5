"""Issue 5: the statistics on three years of history, against /healthz, on SQLite and PostgreSQL.

On each database: the demo, then `flask seed bench --years 3` (at least 75,000 help sessions,
120,000 bookings and 20,000 residents), then gunicorn with 2 workers. A logged-in coordinator
asks, in interleaved rounds, for the trivial page (/healthz), the one-year dashboard, the one-year
printable report and the one-year XLSX export of the figures, and the one-year dashboard of
one facilitator and of one topic (filtered figures are counted from the sessions themselves, the
others from the per-day counts of stats/daily_counts.py); each is timed one request at a time (median
latency) and compared with /healthz in the same run. In the benchmark process
itself: the number of SQL statements of the figures for a month, a year and three years (it must
not change), and the peak Python memory (tracemalloc) of the raw-sessions CSV export for a month
and for a year (it must not grow with the rows).
"""
import statistics
import subprocess
import sys
import time
import tracemalloc
import urllib.request
from datetime import datetime, timedelta

from .harness import ROOT, Browser, databases, flask, gunicorn, hidden_fields, settle

ROUNDS = 5
TARGET_SECONDS = 0.5
# The filtered dashboards count from the sessions themselves, the others from their per-day
# counts (tiers_lieu/stats/daily_counts.py): both are shown. The demo's first facilitator and topic.
FACILITATOR, TOPIC = 2, 1


def log_in(base):
    browser = Browser(base)
    _, page = browser.get("/login")
    status, _ = browser.post("/login", {**hidden_fields(page), "email": "coordinator@example.org",
                                        "password": "tournesol-violet-demo"})
    if status != 302:
        raise RuntimeError(f"could not log in (HTTP {status})")
    return browser


def timed(browser, path):
    """Seconds to fetch a page or a file (read whole, as bytes) with the browser's cookies."""
    began = time.perf_counter()
    with browser.opener.open(urllib.request.Request(browser.base + path), timeout=120) as response:
        response.read()
        status = response.status
    elapsed = time.perf_counter() - began
    if status != 200:
        raise RuntimeError(f"{path} answered HTTP {status}")
    return elapsed


def in_process(env):
    """(statement counts by period, one-year figures seconds, peak export memory by period)."""
    from sqlalchemy import event

    from config import Config
    from tiers_lieu import create_app
    from tiers_lieu.core.centre import centre_timezone
    from tiers_lieu.extensions import db
    from tiers_lieu.stats import exports, figures, queries

    app = create_app(type("BenchConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"]}))
    results = {"statements": {}, "memory": {}}
    with app.test_request_context():
        tz = centre_timezone()
        today = datetime.now(tz).date()
        periods = {"a month": today - timedelta(days=30), "a year": today - timedelta(days=365),
                   "three years": today - timedelta(days=3 * 365 + 1)}
        for name, start in periods.items():
            count = []
            listener = lambda *args: count.append(1)  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            began = time.perf_counter()
            figures.figures(db.session, queries.Filters(start, today), tz)
            seconds = time.perf_counter() - began
            event.remove(db.engine, "before_cursor_execute", listener)
            results["statements"][name] = (len(count), seconds)
        for name in ("a month", "a year"):
            filters = queries.Filters(periods[name], today)
            tracemalloc.start()
            rows = 0
            for _line in exports.sessions_csv(db.session, filters, app.config["SECRET_KEY"]):
                rows += 1
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            results["memory"][name] = (rows - 2, peak)  # minus the BOM and the header
    return results


def run():
    for label, make_database in databases():
        with make_database() as env:
            flask(["seed", "demo"], env)
            began = time.perf_counter()
            seeded = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "seed", "bench", "--years", "3"],
                                    cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.strip()
            seed_seconds = time.perf_counter() - began
            settle(env["DATABASE_URL"])
            local = in_process(env)
            print(f"\nStatistics, {label}: `seed bench --years 3` took {seed_seconds:.0f} s and wrote {seeded}")
            for name, (count, seconds) in local["statements"].items():
                print(f"  figures for {name:<12} {count:>3} SQL statements, {seconds * 1000:.0f} ms in process")
            for name, (rows, peak) in local["memory"].items():
                print(f"  raw-sessions CSV for {name:<12} {rows:>7} rows, peak Python memory {peak / 1024:.0f} KiB", flush=True)
            today = datetime.now().date()
            year = f"period=custom&start={(today - timedelta(days=365)).isoformat()}&end={today.isoformat()}"
            pages = [("/healthz (trivial page, baseline)", "/healthz"),
                     ("/stats/ one year (dashboard)", f"/stats/?{year}"),
                     ("/stats/report one year", f"/stats/report?{year}"),
                     ("/stats/export.xlsx one year", f"/stats/export.xlsx?{year}"),
                     ("/stats/ one year, one facilitator", f"/stats/?{year}&facilitator={FACILITATOR}"),
                     ("/stats/ one year, one topic", f"/stats/?{year}&topic={TOPIC}")]
            with gunicorn(env) as base:
                browser = log_in(base)
                for _, path in pages:
                    timed(browser, path)  # warm up
                times = {path: [] for _, path in pages}
                for _ in range(ROUNDS):
                    for _, path in pages:
                        times[path].append(timed(browser, path))
        baseline = statistics.median(times["/healthz"])
        print(f"  {'page (median of ' + str(ROUNDS) + ', one request at a time)':<44}{'ms':>9}{'× /healthz':>12}")
        for name, path in pages:
            median = statistics.median(times[path])
            print(f"  {name:<44}{median * 1000:>9.1f}{median / baseline:>12.1f}")
        dashboard = statistics.median(times[pages[1][1]])
        verdict = "meets" if dashboard < TARGET_SECONDS else "misses"
        print(f"  one-year dashboard {dashboard:.3f} s: {verdict} the target of {TARGET_SECONDS} s"
              + (" (SQLite target)" if label == "SQLite" else ""), flush=True)


if __name__ == "__main__":
    run()
