"""Issue 4: the help-session form's POST, logged in, on a database with a year of history.

On each database (SQLite, and PostgreSQL when BENCH_DATABASE_URL is set): the demo, a year of
booking history from `history.py` (50,000 bookings), and 20,000 logged help sessions with their
topics, needs and attendees; then gunicorn with 2 workers and 8 client threads, each logged in
as a facilitator of its own, measuring in the same run and in interleaved rounds the trivial page
(/healthz) and POST /desk/sessions/new (a complete log: type, duration, topics, domain, outcome,
needs, profile, note). Every POST must answer 302 (saved, back to the day view).
"""
import random
import statistics
import time
from datetime import date, time as clock, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, func, insert, select

from .booking import run_clients, verdict
from .harness import Browser, databases, flask, gunicorn, hidden_fields, report, throughput
from .history import load_history

BOOKINGS = 50_000
SESSIONS = 20_000
CLIENTS = 8
WORKERS = 2
ROUNDS = 3
SECONDS = 2.5
TARGET = 0.20  # the session POST against /healthz, like the booking POST
PASSWORD = "bench-facilitator-password"


def add_sessions(database_url, count=SESSIONS, seed=2):
    """Log `count` help sessions over the last year, most of them for seen bookings."""
    from config import Config
    from tiers_lieu import create_app
    from tiers_lieu.accounts.models import User
    from tiers_lieu.booking.models import Booking, Slot, Topic
    from tiers_lieu.desk.lists import ensure_default_lists
    from tiers_lieu.desk.models import (AdminDomain, Attendee, Autonomy, Channel, Equipment, HelpSession, Need,
                                        Outcome, Situation, help_session_need, help_session_topic)
    from tiers_lieu.database import utcnow
    from tiers_lieu.extensions import db

    began = time.perf_counter()
    rng = random.Random(seed)
    app = create_app(type("BenchConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": database_url}))
    with app.app_context():
        session = db.session
        ensure_default_lists(session)
        staff = session.execute(select(User.id)).scalars().all()
        topics = session.execute(select(Topic.id)).scalars().all()
        needs = session.execute(select(Need.id)).scalars().all()
        seen = session.execute(
            select(Booking.id, Booking.topic_id, Slot.starts_at, Slot.location_id)
            .join(Slot, Booking.slot_id == Slot.id).where(Booking.status == "seen")
            .order_by(Booking.id).limit(count)).all()
        first_id = (session.execute(select(func.max(HelpSession.id))).scalar() or 0) + 1
        sessions, topic_rows, need_rows, attendees = [], [], [], []
        tz = ZoneInfo(app.config["TIMEZONE"])
        now = utcnow()
        today = now.astimezone(tz).date()
        for n in range(count):
            session_id = first_id + n
            if n < len(seen):
                booking_id, topic_id, starts_at, location_id = seen[n]
                local = starts_at.astimezone(tz)
                day, start = local.date(), local.time()
                attendees.append({"session_id": session_id, "booking_id": booking_id})
            else:
                booking_id, topic_id, location_id = None, rng.choice(topics), None
                day, start = today - timedelta(days=rng.randrange(1, 365)), clock(rng.randrange(9, 18), 0)
            sessions.append({
                "id": session_id, "kind": "individual", "day": day, "start_time": start,
                "duration_minutes": rng.choice((15, 30, 30, 45, 60)), "channel": Channel.ON_SITE.value,
                "equipment": rng.choice(list(Equipment)).value, "equipment_own": rng.random() < 0.4,
                "admin_domain": rng.choice(list(AdminDomain)).value if rng.random() < 0.5 else None,
                "assistance": "with", "aidants_connect": False,
                "autonomy": rng.choice(list(Autonomy)).value, "outcome": rng.choice(list(Outcome)).value,
                "participant_count": 1, "situation": rng.choice(list(Situation)).value,
                "first_visit": rng.random() < 0.3, "facilitator_id": rng.choice(staff),
                "location_id": location_id, "created_at": now, "updated_at": now,
            })
            topic_rows.append({"session_id": session_id, "topic_id": topic_id})
            for need_id in rng.sample(needs, rng.choice((0, 0, 1, 2))):
                need_rows.append({"session_id": session_id, "need_id": need_id})
        for table, rows in ((HelpSession.__table__, sessions), (help_session_topic, topic_rows),
                            (help_session_need, need_rows), (Attendee.__table__, attendees)):
            for start in range(0, len(rows), 5_000):
                session.execute(insert(table), rows[start:start + 5_000])
        session.commit()
        if db.engine.dialect.name == "postgresql":
            session.execute(db.text("SELECT setval(pg_get_serial_sequence('help_session', 'id'), "
                                    "(SELECT max(id) FROM help_session))"))
            session.commit()
    return {"sessions": count, "for_bookings": len(attendees), "seconds": time.perf_counter() - began}


def make_facilitators(database_url, count):
    from config import Config
    from tiers_lieu import create_app
    from tiers_lieu.accounts.models import Role
    from tiers_lieu.accounts.service import create_user

    app = create_app(type("BenchConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": database_url}))
    with app.app_context():
        return [create_user(f"bench-facilitator-{n}@example.org", f"Médiateur {n}", PASSWORD,
                            role=Role.FACILITATOR).email for n in range(count)]


def session_form(n, csrf_token, topic_ids):
    return {
        "csrf_token": csrf_token, "kind": "individual", "day": date.today().isoformat(), "start_time": "10:30",
        "duration": ("15", "30", "45", "60")[n % 4], "duration_other": "", "channel": "on_site",
        "equipment": "computer", "equipment_own": "no", "topics": str(topic_ids[n % len(topic_ids)]),
        "admin_domain": "money", "procedure_name": "prime d'activité", "assistance": "with",
        "autonomy": "partly", "outcome": "resolved", "referral_target": "0", "participant_count": "1",
        "age_bracket": "40_59", "situation": "employed", "neighbourhood": "Fontbarlettes", "first_visit": "",
        "note": "Déclaration trimestrielle faite ensemble.",
    }


def topic_ids_of(database_url):
    from tiers_lieu.booking.models import Topic
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(Topic.id).where(Topic.active.is_(True))).scalars().all()
    finally:
        engine.dispose()


def count_sessions(database_url):
    from tiers_lieu.desk.models import HelpSession
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count(HelpSession.id))).scalar_one()
    finally:
        engine.dispose()


def post_round(browsers, tokens, topic_ids, posted, seconds=SECONDS):
    latencies = [[] for _ in browsers]
    errors = [0] * len(browsers)

    def work(client):
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            n = posted[client]
            posted[client] += 1
            start = time.perf_counter()
            try:
                status, _ = browsers[client].post("/desk/sessions/new", session_form(n, tokens[client], topic_ids))
            except OSError:
                status = None
            if status == 302:
                latencies[client].append(time.perf_counter() - start)
            else:
                errors[client] += 1

    elapsed = run_clients(work, len(browsers))
    flat = [x for mine in latencies for x in mine]
    return {"rps": len(flat) / elapsed if elapsed else 0.0,
            "median_ms": statistics.median(flat) * 1000 if flat else float("nan"), "errors": sum(errors)}


def run_on(label, open_database):
    began = time.perf_counter()
    with open_database() as env:
        flask(["seed", "demo"], env)
        url = env["DATABASE_URL"]
        history = load_history(url, bookings=BOOKINGS, seed=1)
        logged = add_sessions(url)
        emails = make_facilitators(url, CLIENTS)
        topic_ids = topic_ids_of(url)
        before = count_sessions(url)
        posted = [0] * CLIENTS
        rounds = {"healthz": [], "post": []}
        with gunicorn(env, workers=WORKERS) as base:
            throughput(base + "/healthz", seconds=0.5, clients=CLIENTS)  # warm the workers
            browsers, tokens = [], []
            for email in emails:
                browser = Browser(base)
                token = hidden_fields(browser.get("/login")[1])["csrf_token"]
                status, _ = browser.post("/login", {"email": email, "password": PASSWORD, "csrf_token": token})
                assert status == 302, f"login failed: {status}"
                tokens.append(hidden_fields(browser.get("/desk/sessions/new")[1])["csrf_token"])
                browsers.append(browser)
            post_round(browsers, tokens, topic_ids, posted, seconds=0.5)  # warm the session form
            for _ in range(ROUNDS):
                rounds["healthz"].append(throughput(base + "/healthz", seconds=SECONDS, clients=CLIENTS))
                rounds["post"].append(post_round(browsers, tokens, topic_ids, posted))
        after = count_sessions(url)

    def merge(name):
        items = rounds[name]
        return {"rps": statistics.median(r["rps"] for r in items),
                "median_ms": statistics.median(r["median_ms"] for r in items),
                "errors": sum(r["errors"] for r in items),
                "ratio": statistics.median(r["rps"] / b["rps"] for r, b in zip(items, rounds["healthz"]))}

    baseline, post = merge("healthz"), merge("post")
    print(f"\nHelp-session log benchmark (issue 4), {label}: gunicorn with {WORKERS} workers, {CLIENTS} client "
          f"threads each logged in as a facilitator, {ROUNDS} interleaved rounds of {SECONDS:g} s per row")
    print(f"  History: {sum(history['past_bookings'].values()):,} past bookings, {history['residents']:,} residents; "
          f"{logged['sessions']:,} help sessions logged over the year ({logged['for_bookings']:,} for bookings), "
          f"loaded in {history['seconds'] + logged['seconds']:.1f} s.")
    report(f"  {label}: requests per second; medians of {ROUNDS} rounds, ratio to /healthz of the same round", [
        ("/healthz (trivial page, baseline)", baseline),
        ("POST /desk/sessions/new (session log)", post),
    ], baseline)
    print(f"  Sessions saved during the run: {after - before:,} (POSTs sent: {sum(posted):,}, "
          f"not answered 302: {post['errors']})")
    print(f"  Target: session POST ≥ {TARGET:.2f} × /healthz: {verdict(post['ratio'], TARGET)}")
    print(f"  Whole run on {label}: {time.perf_counter() - began:.0f} s")


def run():
    for label, open_database in databases():
        run_on(label, open_database)


if __name__ == "__main__":
    run()
