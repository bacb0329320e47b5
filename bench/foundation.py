"""The foundation's public pages against the app's trivial page (/healthz), under gunicorn."""
from .harness import database, flask, gunicorn, report, throughput


def run():
    with database() as env:
        flask(["seed", "demo"], env)
        with gunicorn(env) as base:
            throughput(base + "/healthz", seconds=0.5)  # warm the workers
            baseline = throughput(base + "/healthz")
            rows = [("/healthz (trivial page, baseline)", baseline),
                    ("/ (home)", throughput(base + "/")),
                    ("/login", throughput(base + "/login"))]
    report("Foundation pages, SQLite, gunicorn with 2 workers, 8 client threads", rows, baseline)
