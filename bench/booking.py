"""Issue 3: the topic page and the booking POST, with a year of history, against /healthz.

On each database (SQLite, and PostgreSQL when BENCH_DATABASE_URL is set): the demo, a year of
history from `history.py` (at least 50,000 bookings), then gunicorn with 2 workers and 8 client
threads measuring, in the same run and in interleaved rounds, the trivial page (/healthz, the
framework's ceiling), the home page, the topic page and the booking form: each client thread,
like a browser, fetches the slot page of its own free slots (cookie, csrf_token, request_key),
then posts the forms, each with a phone number of its own. POSTs per second count the POSTs only.
"""
import statistics
import threading
import time
from datetime import timedelta

from sqlalchemy import create_engine, select

from .harness import Browser, databases, flask, gunicorn, hidden_fields, report, settle, throughput
from .history import NOTES, load_history

BOOKINGS = 50_000
CLIENTS = 8
WORKERS = 2
ROUNDS = 3
SECONDS = 2.5  # per row and round
TOPIC = "demarches"
TARGETS = {"topic": 0.25, "post": 0.20}
FIRST_NAMES = ["Awa", "Karim", "Monique", "Kossi", "Anahit", "Fatima", "Jean", "Ayşe"]


def free_seats(database_url, topic_slug, margin=timedelta(hours=3)):
    """[slot id, …] once per free seat, on the coming slots of the topic that residents may book now."""
    from tiers_lieu.booking.availability import Window, booking_rules
    from tiers_lieu.booking.models import Slot, Topic, slot_topic
    from tiers_lieu.database import utcnow
    from sqlalchemy.orm import Session

    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            window = Window.for_rules(booking_rules(session), utcnow())
            rows = session.execute(
                select(Slot.id, Slot.capacity - Slot.seats_taken)
                .join(slot_topic, slot_topic.c.slot_id == Slot.id)
                .join(Topic, Topic.id == slot_topic.c.topic_id)
                .where(Topic.slug == topic_slug, Slot.cancelled.is_(False), Slot.seats_taken < Slot.capacity,
                       Slot.starts_at >= window.earliest + margin, Slot.starts_at <= window.latest - margin)
                .order_by(Slot.starts_at.desc(), Slot.id)
            ).all()
    finally:
        engine.dispose()
    return [slot_id for slot_id, left in rows for _ in range(left)]


def count_rows(database_url):
    """(bookings, slots holding more people than seats), to check the database after the run."""
    from sqlalchemy import func
    from tiers_lieu.booking.models import Booking, Slot

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            bookings = connection.execute(select(func.count(Booking.id))).scalar_one()
            over = connection.execute(select(func.count(Slot.id)).where(Slot.seats_taken > Slot.capacity)).scalar_one()
    finally:
        engine.dispose()
    return bookings, over


def share(seats, clients):
    """Give each client thread its own slots, so that two threads never want the same seat."""
    by_slot = {}
    for slot_id in seats:
        by_slot.setdefault(slot_id, []).append(slot_id)
    lists = [[] for _ in range(clients)]
    for n, slot_seats in enumerate(by_slot.values()):
        lists[n % clients].extend(slot_seats)
    return lists


def phone_number(client, n):
    """A valid French mobile number of the benchmark's own (06 12 …), different for each POST."""
    number = client * 100_000 + n
    return f"06 12 {number // 10_000:02d} {number // 100 % 100:02d} {number % 100:02d}"


def run_clients(work, clients):
    """Run work(client index) in threads released together; return the seconds until all are done."""
    barrier = threading.Barrier(clients + 1)

    def body(index):
        barrier.wait()
        work(index)

    threads = [threading.Thread(target=body, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began


def figures(latencies, elapsed, errors, **extra):
    return {"rps": len(latencies) / elapsed if elapsed else 0.0,
            "median_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
            "errors": errors, **extra}


def booking_round(base, slot_lists, posted, seconds=SECONDS):
    """Fetch booking forms for a while, then post them: (slot page figures, POST figures)."""
    browsers = [Browser(base) for _ in slot_lists]
    forms = [[] for _ in slot_lists]
    get_latencies, get_errors = [[] for _ in slot_lists], [0] * len(slot_lists)

    def fetch(client):
        deadline = time.perf_counter() + seconds
        mine = slot_lists[client]
        while mine and time.perf_counter() < deadline:
            slot_id = mine.pop()
            start = time.perf_counter()
            try:
                status, page = browsers[client].get(f"/book/slot/{slot_id}?topic={TOPIC}")
            except OSError:
                status, page = None, ""
            if status != 200:
                get_errors[client] += 1
                continue
            get_latencies[client].append(time.perf_counter() - start)
            fields = hidden_fields(page)
            forms[client].append((slot_id, fields.get("csrf_token", ""), fields.get("request_key", "")))

    get_elapsed = run_clients(fetch, len(slot_lists))

    post_latencies = [[] for _ in slot_lists]
    outcomes = [{"taken": 0, "errors": 0} for _ in slot_lists]

    def post(client):
        deadline = time.perf_counter() + seconds
        for slot_id, csrf_token, request_key in forms[client]:
            if time.perf_counter() >= deadline:
                break
            n = posted[client]
            posted[client] += 1
            start = time.perf_counter()
            try:
                status, _ = browsers[client].post(f"/book/slot/{slot_id}", {
                    "first_name": FIRST_NAMES[n % len(FIRST_NAMES)], "phone": phone_number(client, n),
                    "email": "", "note": NOTES[n % len(NOTES)], "language": "fr", "topic": TOPIC,
                    "csrf_token": csrf_token, "request_key": request_key,
                })
            except OSError:
                status = None
            if status == 302:
                post_latencies[client].append(time.perf_counter() - start)
            elif status == 409:
                outcomes[client]["taken"] += 1
            else:
                outcomes[client]["errors"] += 1

    post_elapsed = run_clients(post, len(slot_lists))
    gets = figures([x for mine in get_latencies for x in mine], get_elapsed, sum(get_errors))
    posts = figures([x for mine in post_latencies for x in mine], post_elapsed,
                    sum(o["errors"] for o in outcomes), taken=sum(o["taken"] for o in outcomes))
    return gets, posts


def merge(rounds, baselines):
    """One row from several rounds: median rate, median of the medians, errors added up, and
    the median of the ratios to the baseline measured in the same round (the machine drifts)."""
    merged = {"rps": statistics.median(r["rps"] for r in rounds),
              "median_ms": statistics.median(r["median_ms"] for r in rounds),
              "errors": sum(r["errors"] for r in rounds),
              "ratio": statistics.median(r["rps"] / b["rps"] for r, b in zip(rounds, baselines))}
    if "taken" in rounds[0]:
        merged["taken"] = sum(r["taken"] for r in rounds)
    return merged


def describe(history):
    past, future = history["past_bookings"], history["future_bookings"]
    return (
        f"  History: {history['places']} places ({history['places'] - history['network_places']} demo rooms + "
        f"{history['network_places']} places of the network, {history['two_desk_places']} with two desks), "
        f"{history['past_slots']:,} past slots since {history['first_day']} "
        f"({history['past_seats']:,} seats; {history['workshops']:,} workshops of 6 seats; "
        f"{history['cancelled_slots']:,} cancelled by the centre);\n"
        f"  {sum(past.values()):,} past bookings: {past.get('seen', 0):,} seen, {past.get('no_show', 0):,} no-show, "
        f"{past.get('cancelled_by_resident', 0):,} cancelled by the resident, "
        f"{past.get('cancelled_by_centre', 0):,} by the centre; {history['residents']:,} residents;\n"
        f"  {history['future_slots']:,} coming slots up to {history['last_day']} with "
        f"{future.get('booked', 0):,} upcoming bookings (+ the demo's own slots). "
        f"Loaded with bulk inserts in {history['seconds']:.1f} s."
    )


def verdict(ratio, target):
    return f"PASS ({ratio:.2f} ≥ {target:.2f})" if ratio >= target else f"BELOW ({ratio:.2f} < {target:.2f})"


def run_on(label, open_database):
    began = time.perf_counter()
    with open_database() as env:
        flask(["seed", "demo"], env)
        url = env["DATABASE_URL"]
        history = load_history(url, bookings=BOOKINGS, seed=1)
        settle(url)
        seats = free_seats(url, TOPIC)
        bookings_before, _ = count_rows(url)
        slot_lists = share(seats, CLIENTS)
        posted = [0] * CLIENTS
        pages = {"healthz": [], "home": [], "topic": [], "slot": [], "post": []}
        with gunicorn(env, workers=WORKERS) as base:
            for path in ("/healthz", "/", f"/book/{TOPIC}"):  # warm the workers
                throughput(base + path, seconds=0.5, clients=CLIENTS)
            listed = Browser(base).get(f"/book/{TOPIC}")[1].count('class="slot-button"')
            for _ in range(ROUNDS):
                pages["healthz"].append(throughput(base + "/healthz", seconds=SECONDS, clients=CLIENTS))
                pages["home"].append(throughput(base + "/", seconds=SECONDS, clients=CLIENTS))
                pages["topic"].append(throughput(base + f"/book/{TOPIC}", seconds=SECONDS, clients=CLIENTS))
                gets, posts = booking_round(base, slot_lists, posted)
                pages["slot"].append(gets)
                pages["post"].append(posts)
        bookings_after, over_capacity = count_rows(url)

    rows = {name: merge(rounds, pages["healthz"]) for name, rounds in pages.items()}
    baseline = rows["healthz"]
    print(f"\nBooking benchmark (issue 3), {label}: gunicorn with {WORKERS} workers, {CLIENTS} client threads, "
          f"{ROUNDS} interleaved rounds of {SECONDS:g} s per row")
    print(describe(history))
    print(f"  Booking POSTs: {len(seats):,} free seats on coming '{TOPIC}' slots, each client thread its own; "
          f"each thread first GETs the slot pages (row 'slot page'), then POSTs the forms with a new "
          f"phone number each (06 12 xx xx xx); a 302 is a booking, a 409 a seat just taken.")
    report(f"  {label}: requests per second (POSTs only in the POST row); medians of {ROUNDS} rounds, "
           f"ratio to /healthz of the same round", [
        ("/healthz (trivial page, baseline)", baseline),
        ("/ (home)", rows["home"]),
        (f"/book/{TOPIC} (topic page, {listed} slots)", rows["topic"]),
        ("GET /book/slot/<id> (slot page)", rows["slot"]),
        ("POST /book/slot/<id> (booking)", rows["post"]),
    ], baseline)
    made = bookings_after - bookings_before
    print(f"  POSTs answered 302: {sum(posted) - rows['post']['errors'] - rows['post']['taken']}, "
          f"409 (seat just taken): {rows['post']['taken']}; new bookings in the database: {made}; "
          f"slots over capacity: {over_capacity}")
    topic_ratio, post_ratio = rows["topic"]["ratio"], rows["post"]["ratio"]
    print(f"  Targets: topic page ≥ {TARGETS['topic']:.2f} × /healthz: {verdict(topic_ratio, TARGETS['topic'])}; "
          f"booking POST ≥ {TARGETS['post']:.2f} × /healthz: {verdict(post_ratio, TARGETS['post'])}")
    print(f"  Whole run on {label}: {time.perf_counter() - began:.0f} s")


def run():
    for label, open_database in databases():
        run_on(label, open_database)
