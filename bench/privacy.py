"""Issue 13: `flask privacy purge` on the three-year benchmark history, and the access export.

On each database: the demo, then `flask seed bench --years 3`. Each measurement runs in a process
of its own on a fresh copy of that database (a file copy for SQLite, `CREATE DATABASE … TEMPLATE`
for PostgreSQL), so every purge starts from the same backlog and equally cold:

- the purge with the default retention (two years for residents and appointments): rows changed
  per rule, wall time, and that time against the dry run's (which only counts what is due: the
  baseline of the same run);
- the same purge with one year's and three months' retention, larger backlogs: the peak Python
  memory (tracemalloc, measured in a run of its own since tracing slows the code) must stay where
  the two-year purge's is, since the purge works in batches of 500 rows;
- the access export (`privacy.rights.gather`) of a resident with 50 visits and of one with a single
  visit: the number of SQL statements must be the same.
"""
import json
import os
import shutil
import subprocess
import sys
import time
import tracemalloc
from contextlib import contextmanager
from datetime import datetime, timezone

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from .harness import PYTHON, ROOT, databases, flask, settle

SCENARIOS = {"two years (the default)": 24, "one year": 12, "three months": 3}
VISITS = 50


@contextmanager
def copy_of(database_url, number):
    """A copy of the database, removed afterwards: the purge changes what it runs on."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        copy = f"{url.database}.copy{number}"
        shutil.copyfile(url.database, copy)
        try:
            yield url.set(database=copy).render_as_string(hide_password=False)
        finally:
            os.remove(copy)
        return
    name = f"{url.database}_copy{number}"
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with engine.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def app_for(database_url):
    from config import Config
    from tiers_lieu import create_app

    return create_app(type("BenchConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": database_url}))


def measure_purge(database_url, months, mode):
    """In a process of its own: apply `months` of retention to residents and appointments, then
    purge (mode "time" or "memory") or only count what is due (mode "dry-run")."""
    from tiers_lieu.extensions import db
    from tiers_lieu.privacy import purge, retention

    app = app_for(database_url)
    with app.app_context():
        retention.save(db.session, actor=None, resident_months=months, booking_months=months)
        db.session.commit()
        now = datetime.now(timezone.utc)
        if mode == "memory":
            tracemalloc.start()
        began = time.perf_counter()
        counts = purge.purge(db.session, now, dry_run=mode == "dry-run")
        seconds = time.perf_counter() - began
        peak = tracemalloc.get_traced_memory()[1] if mode == "memory" else None
        tracemalloc.stop()
    return {"counts": counts, "seconds": seconds, "peak": peak}


def measure_access(database_url):
    """In a process of its own: give one resident of the history 50 visits, then count the
    statements of gathering what is held about them and about a resident with a single visit."""
    from sqlalchemy import event, func, insert, select

    from tiers_lieu.desk.models import Attendee, HelpSession, Resident
    from tiers_lieu.extensions import db
    from tiers_lieu.privacy import rights

    app = app_for(database_url)
    results = {}
    with app.app_context():
        visits = (select(Attendee.resident_id, func.count().label("visits"))
                  .where(Attendee.resident_id.is_not(None)).group_by(Attendee.resident_id).subquery())
        single = db.session.execute(select(visits.c.resident_id).where(visits.c.visits == 1)
                                    .order_by(visits.c.resident_id).limit(1)).scalar_one()
        regular = db.session.execute(select(Resident.id).where(Resident.id != single, Resident.anonymised_at.is_(None))
                                     .order_by(Resident.id).limit(1)).scalar_one()
        already = set(db.session.scalars(select(Attendee.session_id).where(Attendee.resident_id == regular)))
        more = db.session.scalars(select(HelpSession.id).where(HelpSession.id.not_in(already or {0}))
                                  .order_by(HelpSession.id.desc()).limit(VISITS - len(already))).all()
        db.session.execute(insert(Attendee), [{"session_id": session_id, "resident_id": regular} for session_id in more])
        db.session.commit()
        for label, resident_id in ((f"{VISITS} visits", regular), ("1 visit", single)):
            statements = []
            listener = lambda *args: statements.append(1)  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            began = time.perf_counter()
            holdings = rights.gather(db.session, rights.find(db.session, resident_id=resident_id))
            seconds = time.perf_counter() - began
            event.remove(db.engine, "before_cursor_execute", listener)
            db.session.rollback()
            results[label] = {"statements": len(statements), "seconds": seconds,
                              "sessions": len(holdings.sessions), "bookings": len(holdings.bookings)}
    return results


def in_a_process(*args):
    """Run `python -m bench.privacy ARGS` and return the JSON it prints."""
    output = subprocess.run([PYTHON, "-m", "bench.privacy", *map(str, args)], cwd=ROOT, check=True,
                            capture_output=True, text=True, env={**os.environ}).stdout
    return json.loads(output.strip().splitlines()[-1])


def run():
    for label, make_database in databases():
        with make_database() as env:
            flask(["seed", "demo"], env)
            began = time.perf_counter()
            subprocess.run([PYTHON, "-m", "flask", "--app", "wsgi", "seed", "bench", "--years", "3"],
                           cwd=ROOT, env=env, check=True, capture_output=True, text=True)
            settle(env["DATABASE_URL"])
            print(f"\nPrivacy purge, {label}: three years of history seeded in {time.perf_counter() - began:.0f} s",
                  flush=True)
            number = 0
            found = {}
            for scenario, months in SCENARIOS.items():
                found[scenario] = {}
                for mode in ("dry-run", "time", "memory"):
                    number += 1
                    with copy_of(env["DATABASE_URL"], number) as url:
                        found[scenario][mode] = in_a_process("purge", url, months, mode)
            number += 1
            with copy_of(env["DATABASE_URL"], number) as url:
                access = in_a_process("access", url)
        for scenario, runs in found.items():
            counts = runs["time"]["counts"]
            changed = sum(counts.values())
            print(f"  retention of {scenario}: {changed:,} rows anonymised or deleted "
                  f"({', '.join(f'{name} {count:,}' for name, count in counts.items())})")
            baseline = runs["dry-run"]["seconds"]
            print(f"    purge {runs['time']['seconds']:.2f} s, {changed / runs['time']['seconds']:,.0f} rows/s; "
                  f"dry run (counting only, the baseline) {baseline:.2f} s: "
                  f"{runs['time']['seconds'] / baseline:.1f}× the baseline")
            print(f"    peak Python memory {runs['memory']['peak'] / 1024:,.0f} KiB")
        # Three backlogs, so that a slow growth shows as a trend: before the purge collected each
        # batch's garbage, the peak grew by a third from the smallest to the largest on PostgreSQL.
        default, year, largest = (found[scenario] for scenario in SCENARIOS)
        for name, base in (("two years", default), ("one year", year)):
            backlog = sum(largest["time"]["counts"].values()) / max(1, sum(base["time"]["counts"].values()))
            memory = largest["memory"]["peak"] / base["memory"]["peak"]
            print(f"  three months against {name}: backlog {backlog:.1f}× larger, peak memory {memory:.2f}×: "
                  + ("flat" if memory < 1.25 else "GROWS with the backlog"))
        for who, figures in access.items():
            print(f"  access export of a resident with {who}: {figures['statements']} SQL statements, "
                  f"{figures['seconds'] * 1000:.0f} ms ({figures['sessions']} sessions, {figures['bookings']} bookings)")
        statements = {figures["statements"] for figures in access.values()}
        print("  statements: " + ("the same whatever the history" if len(statements) == 1
                                  else "DIFFER with the history"), flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "purge":
        print(json.dumps(measure_purge(sys.argv[2], int(sys.argv[3]), sys.argv[4])))
    elif len(sys.argv) > 1 and sys.argv[1] == "access":
        print(json.dumps(measure_access(sys.argv[2])))
    else:
        run()
