"""Issue 4: the desk's day view with a year of history, against /healthz in the same run.

On each database (SQLite, and PostgreSQL when BENCH_DATABASE_URL is set): the demo, a year of
history from `history.py` (50,000 past bookings), then a busy day — 60 bookings on 20 slots and
10 walk-ins in the queue — shown by the day view to a logged-in facilitator, under gunicorn with
2 workers and 8 client threads, in interleaved rounds with the trivial page (/healthz). Also
prints the number of SQL statements the day view makes, for the demo's day and for the busy one.
"""
import hashlib
import time
import urllib.request
from datetime import datetime, time as clock, timedelta, timezone
from zoneinfo import ZoneInfo

from .booking import merge
from .harness import Browser, databases, flask, gunicorn, hidden_fields, report, throughput
from .history import load_history

BOOKINGS = 50_000
CLIENTS = 8
WORKERS = 2
ROUNDS = 3
SECONDS = 2.5
DAY_BOOKINGS = 60
WALK_INS = 10
PASSWORD = "tournesol-violet-demo"
TARGET = 0.15  # issue 12: the day view against /healthz


def busy_day(database_url):
    """Add the busy day (four months ahead, beyond every other booking): return its date."""
    from config import Config
    from sqlalchemy import select

    from tiers_lieu import create_app
    from tiers_lieu.booking.models import Booking, Location, Slot, Topic
    from tiers_lieu.desk.reception import queue
    from tiers_lieu.extensions import db

    app = create_app(type("BenchConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": database_url}))
    with app.app_context():
        tz = ZoneInfo(app.config["TIMEZONE"])
        day = datetime.now(tz).date() + timedelta(days=120)
        topics = db.session.execute(select(Topic).order_by(Topic.position)).scalars().all()
        location = Location(name="Salle du banc d'essai")
        db.session.add(location)
        for number in range(DAY_BOOKINGS // 3):
            starts_at = datetime.combine(day, clock(9), tzinfo=tz) + timedelta(minutes=20 * number)
            slot = Slot(starts_at=starts_at.astimezone(timezone.utc),
                        ends_at=(starts_at + timedelta(minutes=45)).astimezone(timezone.utc), capacity=3,
                        seats_taken=3, location=location, topics=topics[:2], workshop_title="Atelier")
            db.session.add(slot)
            for seat in range(3):
                key = f"bench-day-{number}-{seat}"
                db.session.add(Booking(
                    slot=slot, topic_id=topics[seat % 2].id, code=f"B{number:02d}{seat}X"[:6],
                    token_hash=hashlib.sha256(key.encode()).hexdigest(), request_key=key,
                    first_name=f"Personne {number}-{seat}", phone=f"+3361{number:04d}{seat:03d}",
                    note="Aide pour une démarche", status="checked_in" if seat == 0 else "booked"))
        db.session.commit()
        for number in range(WALK_INS):
            queue.issue(db.session, day=day, topic_id=topics[number % len(topics)].id, first_name=f"Sans rdv {number}")
        return day


def statements(database_url, path):
    """How many SQL statements the page makes for a logged-in facilitator (in-process client)."""
    from config import Config
    from sqlalchemy import event

    from tiers_lieu import create_app
    from tiers_lieu.extensions import db

    settings = type("BenchConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
                                               "SESSION_COOKIE_SECURE": False})
    app = create_app(settings)
    client = app.test_client()
    client.post("/login", data={"email": "facilitator@example.org", "password": PASSWORD})
    client.get(path)
    counted = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", lambda *args: counted.append(1))
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return len(counted)


def logged_in_cookie(base):
    browser = Browser(base)
    _status, page = browser.get("/login")
    status, _ = browser.post("/login", {**hidden_fields(page), "email": "facilitator@example.org",
                                        "password": PASSWORD})
    assert status == 302, status
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in browser.cookies)


def throughput_logged_in(url, cookie, seconds=SECONDS, clients=CLIENTS):
    """As harness.throughput, with the facilitator's session cookie on every request."""
    return throughput(url, seconds=seconds, clients=clients, cookie=cookie)


def run_on(label, open_database):
    began = time.perf_counter()
    with open_database() as env:
        flask(["seed", "demo"], env)
        url = env["DATABASE_URL"]
        history = load_history(url, bookings=BOOKINGS, seed=1)
        day = busy_day(url)
        path = f"/desk/?day={day.isoformat()}"
        counts = (statements(url, "/desk/"), statements(url, path))
        pages = {"healthz": [], "day": []}
        with gunicorn(env, workers=WORKERS) as base:
            cookie = logged_in_cookie(base)
            shown = urllib.request.urlopen(urllib.request.Request(base + path, headers={"Cookie": cookie})).read()
            listed = shown.decode().count('class="booking booking-')
            throughput(base + "/healthz", seconds=0.5, clients=CLIENTS)
            throughput_logged_in(base + path, cookie, seconds=0.5)
            for _ in range(ROUNDS):
                pages["healthz"].append(throughput(base + "/healthz", seconds=SECONDS, clients=CLIENTS))
                pages["day"].append(throughput_logged_in(base + path, cookie))
    rows = {name: merge(rounds, pages["healthz"]) for name, rounds in pages.items()}
    print(f"\nDesk benchmark (issue 4), {label}: gunicorn with {WORKERS} workers, {CLIENTS} client threads, "
          f"{ROUNDS} interleaved rounds of {SECONDS:g} s per row")
    past = history["past_bookings"]
    past = sum(past.values()) if isinstance(past, dict) else past
    print(f"  History: {past:,} past bookings on {history['past_slots']:,} slots of {history['places']} places; "
          f"the day shown: {listed} bookings on {DAY_BOOKINGS // 3} slots, {WALK_INS} walk-ins waiting")
    report(f"  {label}: requests per second; medians of {ROUNDS} rounds, ratio to /healthz of the same round", [
        ("/healthz (trivial page, baseline)", rows["healthz"]),
        ("/desk/?day=… (day view, logged in)", rows["day"]),
    ], rows["healthz"])
    ratio = rows["day"]["ratio"]
    print(f"  SQL statements of the day view: {counts[0]} for today's demo day, {counts[1]} for the busy day "
          f"({'fixed' if counts[0] == counts[1] else 'NOT fixed'})")
    print(f"  Day view: {ratio:.2f} × /healthz (a page of 60 bookings, 10 tickets and their buttons, "
          f"against a page that does nothing)")
    print(f"  Target: day view ≥ {TARGET:.2f} × /healthz: {'PASS' if ratio >= TARGET else 'BELOW'}")
    print(f"  Whole run on {label}: {time.perf_counter() - began:.0f} s")


def run():
    for label, open_database in databases():
        run_on(label, open_database)


if __name__ == "__main__":
    run()
