"""A year of booking history for the benchmarks, loaded with bulk inserts.

`load_history(database_url)` takes a database on which `flask seed demo` has run and adds what a
busy network of places would have after a year:

- the demo's two rooms plus as many other places of the network as the number of bookings asks
  for (about 40 slots a week each: mornings and some afternoons of 45-minute individual help per
  desk, some places with two desks, and two collective workshops of 6 seats a week), closed on
  public holidays and for three weeks in August;
- their slots over the last 12 months, and the future slots of the other places up to the booking
  horizon (the demo's rooms already have theirs, from their opening hours);
- the bookings: in the past, exactly `bookings` of them, mostly seen, some no-shows, some cancelled
  by the resident or by the centre (the centre cancels whole slots, which stay as cancelled
  slots); in the future, bookings still to come, the near weeks nearly full, the far ones
  nearly free, never more than the booking rules' cap of upcoming bookings per phone number.

Residents come back: bookings are drawn from a pool of residents (first name, French mobile
number and/or e-mail, language, reminder consent), a few of them very often. Codes, links and
request keys are unique and made the way the app makes them, so that a generated booking can be
looked up and managed like a real one. Deterministic for a given `seed` and moment: the rows
are drawn from `random.Random(seed)`, around the current date.
"""
import base64
import itertools
import random
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time as clock, timedelta, timezone
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text

BATCH = 5_000

# Past bookings by status: those who came or did not come held a seat when the slot took place.
PAST_STATUSES = {"seen": 0.76, "no_show": 0.09, "cancelled_by_resident": 0.12, "cancelled_by_centre": 0.03}
SEAT_FILL = 0.88  # share of the seats of the year taken by someone who came or did not come
SUMMER_CLOSED_WEEKS = 3  # from the first Monday of August

NETWORK_PLACES = [
    "Centre social de Fontbarlettes", "Centre social du Plan", "Maison de quartier de Chamberlière",
    "Centre social de Valensolles", "Maison de quartier des Baumes", "Espace numérique du Polygone",
    "Médiathèque Latour-Maubourg", "Point numérique Danton", "Maison de quartier Laprat",
    "Centre social de Châteauvert", "France Services Valence Centre", "Maison pour tous du Centre-ville",
    "Antenne de Bourg-lès-Valence", "Antenne de Portes-lès-Valence", "Antenne de Guilherand-Granges",
    "Antenne de Saint-Marcel-lès-Valence", "Antenne d'Étoile-sur-Rhône", "Antenne de Beaumont-lès-Valence",
    "Antenne de Chabeuil", "Antenne de Montélier", "Antenne d'Alixan", "Antenne de Malissard",
]

# Topics of a desk's half-day, by weight: administrative procedures come first.
DESK_TOPICS = [
    (("demarches",), 30), (("demarches", "achats"), 20), (("demarches", "scolarite"), 15),
    (("demarches", "achats", "smartphone"), 15), (("scolarite", "smartphone"), 10),
    (("achats", "smartphone"), 5), (("smartphone",), 5),
]
WORKSHOPS = [
    ("smartphone", "Atelier smartphone : premiers pas"),
    ("smartphone", "Atelier smartphone : photos et messages"),
    ("achats", "Atelier : acheter en ligne sans risque"),
    ("achats", "Atelier : repérer les arnaques"),
    ("demarches", "Atelier : créer son compte FranceConnect"),
    ("scolarite", "Atelier : Pronote et l'ENT pour les parents"),
]
# Which topic people book on a slot that serves several, by weight.
TOPIC_WEIGHT = {"demarches": 6, "achats": 2, "scolarite": 2, "smartphone": 2}

FIRST_NAMES = [
    "Fatima", "Mohamed", "Aïcha", "Karim", "Nadia", "Youssef", "Samira", "Rachid", "Leïla", "Ahmed",
    "Marie", "Jean", "Monique", "Bernard", "Josiane", "Gérard", "Sylvie", "Michel", "Françoise", "Daniel",
    "Awa", "Mamadou", "Fatoumata", "Ibrahima", "Aminata", "Moussa", "Mariam", "Ousmane", "Kadiatou",
    "Afiavi", "Kossi", "Akossiwa", "Comlan", "Sèna", "Rokia", "Emeka", "Blessing",
    "Ana", "José", "Maria", "Manuel", "Fernanda", "Luís",
    "Ayşe", "Mehmet", "Zeynep", "Hasan", "Emine",
    "Anahit", "Aram", "Lusine", "Hovhannes", "Nairi",
    "Svetlana", "Olena", "Dmytro", "Irina",
    "Léa", "Lucas", "Inès", "Nathan", "Chloé", "Yanis", "Sarah", "Adam", "Lina", "Rayan", "Camille",
    "Hugo", "Manon", "Enzo", "Jade", "Thomas", "Elif", "Amir", "Salomé", "Ilyes", "Océane", "Kevin",
    "Christiane", "Roger", "Odette", "Marcel", "Yvette", "Patrick", "Nicole", "Alain", "Chantal",
]
NOTES = [
    "Renouveler ma demande de prime d'activité", "Déclaration de revenus", "Créer mon compte Ameli",
    "Carte grise ANTS", "Mot de passe Pronote perdu", "Inscription cantine", "Dossier de bourse",
    "Actualisation France Travail", "Demande de logement social", "Titre de séjour, rendez-vous ANEF",
    "Acheter un billet de train", "Colis non reçu, remboursement", "Installer WhatsApp",
    "Envoyer des photos à ma fille", "Dossier retraite", "Message bizarre de ma banque",
    "Parcoursup pour mon fils", "Changer d'adresse à la CAF", "Attestation de droits",
]
EMAIL_DOMAINS = ["example.org", "example.net", "example.com"]


@dataclass
class PlannedSlot:
    starts_at: datetime
    ends_at: datetime
    capacity: int
    location_id: int
    facilitator_id: Optional[int]
    topic_ids: tuple
    workshop_title: Optional[str]
    cancelled: bool = False
    bookings: list = field(default_factory=list)  # (status, resident index, topic id)


@dataclass(frozen=True)
class Resident:
    first_name: str
    phone: Optional[str]
    email: Optional[str]
    language: str
    reminder_consent: bool


def closed_days(first, last):
    """Public holidays and the summer closure between two dates."""
    from tiers_lieu.booking.slotgen import french_public_holidays

    days = set()
    for year in range(first.year, last.year + 1):
        days.update(day for day, _ in french_public_holidays(year))
        august = date(year, 8, 1)
        monday = august + timedelta(days=(7 - august.weekday()) % 7)
        days.update(monday + timedelta(days=n) for n in range(7 * SUMMER_CLOSED_WEEKS))
    return days


def place_template(rng, topics, desks):
    """A place's week: [(weekday, local start, minutes, capacity, topic ids, workshop title)]."""
    def desk_topics():
        choice = rng.choices([t for t, _ in DESK_TOPICS], weights=[w for _, w in DESK_TOPICS])[0]
        return tuple(topics[slug] for slug in choice)

    week = []
    for _ in range(desks):
        afternoons = rng.sample([0, 1, 3, 4], 3)  # Wednesday afternoon is for the workshop
        for weekday in range(5):
            half_days = [(clock(9), 4)] + ([(clock(14), 4)] if weekday in afternoons else [])
            for start, count in half_days:
                served = desk_topics()
                for n in range(count):
                    minutes = start.hour * 60 + start.minute + 45 * n
                    week.append((weekday, clock(minutes // 60, minutes % 60), 45, 1, served, None))
    for weekday in (2, rng.choice([0, 1, 3, 4])):
        slug, title = rng.choice(WORKSHOPS)
        week.append((weekday, clock(14), 120, 6, (topics[slug],), title))
    return week


def slots_of(template, location_id, facilitator_ids, first, last, closed, tz):
    """The slots a place's week gives between two dates (included), skipping closed days."""
    by_weekday = defaultdict(list)
    for entry in template:
        by_weekday[entry[0]].append(entry)
    slots = []
    day = first
    while day <= last:
        if day not in closed:
            for _, start, minutes, capacity, topic_ids, title in by_weekday.get(day.weekday(), ()):
                starts_at = datetime.combine(day, start, tz).astimezone(timezone.utc)
                slots.append(PlannedSlot(
                    starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes), capacity=capacity,
                    location_id=location_id, facilitator_id=facilitator_ids and facilitator_ids[len(slots) % 2],
                    topic_ids=topic_ids, workshop_title=title))
        day += timedelta(days=1)
    return slots


def season(moment):
    """How busy the centres are in that month: back-to-school and tax season are the peaks."""
    return {1: 1.0, 2: 1.0, 3: 1.1, 4: 1.2, 5: 1.3, 6: 1.0, 7: 0.6, 8: 0.5, 9: 1.4, 10: 1.3,
            11: 1.1, 12: 0.8}[moment.month]


def weighted_sample(rng, items, weights, k):
    """k items without replacement, each chance proportional to its weight (Efraimidis–Spirakis)."""
    keyed = sorted(((rng.random() ** (1.0 / w), i) for i, w in enumerate(weights)), reverse=True)
    return [items[i] for _, i in keyed[:k]]


def make_residents(rng, count):
    residents = []
    phones = set()
    for _ in range(count):
        first_name = rng.choice(FIRST_NAMES)
        has_phone, has_email = rng.random() < 0.9, rng.random() < 0.35
        if not has_phone and not has_email:
            has_phone = True
        phone = None
        while has_phone and phone is None:
            digits = f"{rng.randrange(10 ** 8):08d}"
            # +33 6 12… is kept for the benchmark's own bookings.
            candidate = "+336" + digits
            if not digits.startswith("12") and candidate not in phones:
                phone = candidate
                phones.add(phone)
        email = None
        if has_email:
            plain = unicodedata.normalize("NFKD", first_name).encode("ascii", "ignore").decode().lower()
            email = f"{plain}.{rng.randrange(10, 9999)}@{rng.choice(EMAIL_DOMAINS)}"
        residents.append(Resident(first_name, phone, email, "en" if rng.random() < 0.12 else "fr",
                                  rng.random() < 0.7))
    return residents


class Identifiers:
    """Unique codes, request keys and link hashes, made as the app makes them."""

    def __init__(self, rng, existing_codes):
        from tiers_lieu.booking.codes import ALPHABET, CODE_LENGTH, hash_token, token_for

        self.rng, self.alphabet, self.length = rng, ALPHABET, CODE_LENGTH
        self.hash_token, self.token_for = hash_token, token_for
        self.codes, self.keys = set(existing_codes), set()

    def code(self):
        while True:
            code = "".join(self.rng.choices(self.alphabet, k=self.length))
            if code not in self.codes:
                self.codes.add(code)
                return code

    def key_and_hash(self):
        while True:
            key = base64.urlsafe_b64encode(self.rng.randbytes(16)).rstrip(b"=").decode()
            if key not in self.keys:
                self.keys.add(key)
                return key, self.hash_token(self.token_for(key))


def batches(rows, size=BATCH):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def load_history(database_url, bookings=50_000, seed=1):
    """Add a year of history (exactly `bookings` past bookings) and the coming weeks' bookings.

    Returns a summary: places, slots, bookings by status, seconds taken.
    """
    from config import Config
    from tiers_lieu import create_app
    from tiers_lieu.accounts.models import User
    from tiers_lieu.booking.availability import booking_rules
    from tiers_lieu.booking.models import Booking, Location, Slot, Topic, slot_topic
    location_table, slot_table, booking_table = Location.__table__, Slot.__table__, Booking.__table__
    from tiers_lieu.extensions import db

    began = time.perf_counter()
    rng = random.Random(seed)
    settings = type("BenchConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": database_url})
    app = create_app(settings)
    with app.app_context():
        tz = ZoneInfo(app.config["TIMEZONE"])
        now = datetime.now(timezone.utc)
        today = now.astimezone(tz).date()
        session = db.session
        topics = dict(session.execute(select(Topic.slug, Topic.id)).all())
        demo_places = session.execute(select(Location.id).order_by(Location.position, Location.id)).scalars().all()
        staff = session.execute(select(User.id).order_by(User.id)).scalars().all()
        rules = booking_rules(session)
        horizon_weeks, max_active = rules.horizon_weeks, rules.max_active_per_contact
        existing_codes = session.execute(select(Booking.code)).scalars().all()
        session.rollback()

        # -- the places and their slots, until the year has enough seats ----------------------
        first_day, last_day = today - timedelta(days=365), today + timedelta(weeks=horizon_weeks)
        closed = closed_days(first_day, last_day)
        holders_needed = round(bookings * (PAST_STATUSES["seen"] + PAST_STATUSES["no_show"]))
        centre_cancelled = round(bookings * PAST_STATUSES["cancelled_by_centre"])
        places = []  # (name, location id or None, template, desks)
        past, future = [], []
        seats = 0
        while seats * SEAT_FILL < holders_needed or len(places) < len(demo_places):
            index = len(places)
            desks = 2 if rng.random() < 0.3 else 1
            template = place_template(rng, topics, desks)
            if index < len(demo_places):
                location_id, name = demo_places[index], None
                # The demo's rooms have their future slots already, from their opening hours.
                facilitators = staff[-2:] if len(staff) >= 2 else None
                place_past = slots_of(template, location_id, facilitators, first_day,
                                      today - timedelta(days=1), closed, tz)
                place_future = []
            else:
                name = (NETWORK_PLACES[index - len(demo_places)] if index - len(demo_places) < len(NETWORK_PLACES)
                        else f"Antenne n° {index}")
                location_id = None
                every = slots_of(template, None, None, first_day, last_day, closed, tz)
                place_past = [slot for slot in every if slot.starts_at < now]
                place_future = [slot for slot in every if slot.starts_at >= now]
            places.append((name, location_id, place_past + place_future, desks))
            past.extend(place_past)
            future.extend(place_future)
            seats += sum(slot.capacity for slot in place_past)

        # -- who comes ------------------------------------------------------------------------
        residents = make_residents(rng, max(50, bookings // 4))
        # A few residents come very often, most a few times a year.
        popularity = list(itertools.accumulate(rng.paretovariate(1.2) for _ in residents))
        everyone = range(len(residents))
        slug_of = {topic_id: slug for slug, topic_id in topics.items()}

        def topic_for(slot):
            if len(slot.topic_ids) == 1:
                return slot.topic_ids[0]
            return rng.choices(slot.topic_ids, weights=[TOPIC_WEIGHT.get(slug_of[t], 1) for t in slot.topic_ids])[0]

        # -- past bookings: the centre's cancellations, the seats, the residents' cancellations
        order = list(range(len(past)))
        rng.shuffle(order)
        given = 0
        for i in order:
            if given >= centre_cancelled:
                break
            slot = past[i]
            count = min(centre_cancelled - given, 1 if slot.capacity == 1 else rng.randint(2, slot.capacity))
            slot.cancelled = True
            slot.bookings.extend(("cancelled_by_centre", None, topic_for(slot)) for _ in range(count))
            given += count
        open_seats = [i for i, slot in enumerate(past) if not slot.cancelled for _ in range(slot.capacity)]
        if len(open_seats) < holders_needed:
            raise RuntimeError("not enough seats for the bookings asked for")
        seat_weights = [season(past[i].starts_at) for i in open_seats]
        seen_share = PAST_STATUSES["seen"] / (PAST_STATUSES["seen"] + PAST_STATUSES["no_show"])
        for i in weighted_sample(rng, open_seats, seat_weights, holders_needed):
            past[i].bookings.append(("seen" if rng.random() < seen_share else "no_show", None, topic_for(past[i])))
        for i in rng.choices(open_seats, weights=seat_weights,
                             k=bookings - holders_needed - centre_cancelled):
            past[i].bookings.append(("cancelled_by_resident", None, topic_for(past[i])))
        for slot in past:
            chosen = rng.choices(everyone, cum_weights=popularity, k=len(slot.bookings))
            slot.bookings = [(status, who, topic) for (status, _, topic), who in zip(slot.bookings, chosen)]

        # -- future bookings: the near weeks nearly full, never more than the cap per phone ----
        active = Counter()
        for slot in future:
            weeks_ahead = (slot.starts_at - now).total_seconds() / (7 * 86400)
            fill = max(0.05, 0.95 - 0.12 * weeks_ahead)
            for _ in range(slot.capacity):
                if rng.random() < fill:
                    for _attempt in range(20):
                        who = rng.choices(everyone, cum_weights=popularity)[0]
                        contact = residents[who].phone or residents[who].email
                        if active[contact] < max_active:
                            active[contact] += 1
                            slot.bookings.append(("booked", who, topic_for(slot)))
                            break
            if rng.random() < 0.08:
                slot.bookings.append(("cancelled_by_resident", rng.randrange(len(residents)), topic_for(slot)))

        # -- write it all ----------------------------------------------------------------------
        engine = db.engine
        with engine.begin() as connection:
            location_ids = {}
            new_places = [(index, name) for index, (name, location_id, _, _) in enumerate(places) if location_id is None]
            if new_places:
                start = connection.execute(select(func.coalesce(func.max(location_table.c.position), 0))).scalar_one()
                rows = [{"name": name, "position": start + n + 1, "active": True}
                        for n, (_, name) in enumerate(new_places)]
                ids = connection.execute(
                    insert(location_table).returning(location_table.c.id, sort_by_parameter_order=True),
                    rows).scalars().all()
                location_ids = {index: new_id for (index, _), new_id in zip(new_places, ids)}
            for index, (name, location_id, slots, _) in enumerate(places):
                for slot in slots:
                    slot.location_id = location_id or location_ids[index]

            every_slot = past + future
            slot_ids = []
            for chunk in batches(every_slot):
                rows = [{
                    "starts_at": s.starts_at, "ends_at": s.ends_at, "capacity": s.capacity,
                    "seats_taken": sum(1 for status, _, _ in s.bookings if status in ("seen", "booked")),
                    "location_id": s.location_id, "facilitator_id": s.facilitator_id, "rule_id": None,
                    "workshop_title": s.workshop_title, "cancelled": s.cancelled,
                } for s in chunk]
                slot_ids.extend(connection.execute(
                    insert(slot_table).returning(slot_table.c.id, sort_by_parameter_order=True),
                    rows).scalars().all())
            links = [{"slot_id": slot_id, "topic_id": topic_id}
                     for slot_id, slot in zip(slot_ids, every_slot) for topic_id in slot.topic_ids]
            for chunk in batches(links):
                connection.execute(insert(slot_topic), chunk)

            identifiers = Identifiers(rng, existing_codes)
            rows = []
            statuses = Counter()
            for slot_id, slot in zip(slot_ids, every_slot):
                for status, who, topic_id in slot.bookings:
                    resident = residents[who]
                    lead = timedelta(hours=2) + timedelta(days=min(55.0, rng.expovariate(1 / 6)))
                    created = min(slot.starts_at - lead, now - timedelta(minutes=5))
                    cancelled_at = None
                    if status == "cancelled_by_resident":
                        cancelled_at = created + (min(slot.starts_at, now) - created) * rng.random()
                    elif status == "cancelled_by_centre":
                        cancelled_at = max(created, slot.starts_at - timedelta(hours=rng.uniform(1, 72)))
                    if cancelled_at:
                        updated = cancelled_at
                    elif status in ("seen", "no_show"):
                        updated = min(now, slot.ends_at + timedelta(minutes=rng.randint(0, 90)))
                    else:
                        updated = created
                    key, token_hash = identifiers.key_and_hash()
                    rows.append({
                        "slot_id": slot_id, "topic_id": topic_id, "code": identifiers.code(),
                        "token_hash": token_hash, "first_name": resident.first_name,
                        "phone": resident.phone, "email": resident.email,
                        "note": rng.choice(NOTES) if rng.random() < 0.3 else None,
                        "reminder_consent": resident.reminder_consent, "language": resident.language,
                        "status": status, "created_at": created, "updated_at": updated,
                        "cancelled_at": cancelled_at, "request_key": key,
                    })
                    statuses[("past" if slot.starts_at < now else "future", status)] += 1
            for chunk in batches(rows):
                connection.execute(insert(booking_table), chunk)
        if engine.dialect.name == "postgresql":
            # What autovacuum would have done after a year of writes; SQLite has no such thing.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("ANALYZE"))
        engine.dispose()

    past_bookings = {status: n for (when, status), n in statuses.items() if when == "past"}
    return {
        "places": len(places),
        "network_places": len(new_places),
        "two_desk_places": sum(1 for place in places if place[3] == 2),
        "past_slots": len(past),
        "past_seats": sum(slot.capacity for slot in past),
        "workshops": sum(1 for slot in past if slot.capacity > 1),
        "cancelled_slots": sum(1 for slot in past if slot.cancelled),
        "future_slots": len(future),
        "past_bookings": past_bookings,
        "future_bookings": {status: n for (when, status), n in statuses.items() if when == "future"},
        "residents": len(residents),
        "first_day": first_day,
        "last_day": last_day,
        "seconds": time.perf_counter() - began,
    }
