"""A realistic past for the desk and the statistics, written with bulk inserts.

One generator serves two uses:
- the demo (`six_months_of_activity`, a step of `flask seed demo`): six months of the demo's two
  rooms, a little over a thousand help sessions, so the dashboard looks alive on first start;
- the benchmark history (`flask seed bench --years 3`): a network of places over three years, at
  least 75,000 help sessions, 120,000 bookings and 20,000 residents.

For each place, every weekday gives 45-minute individual slots in the morning and on three
afternoons, and a two-hour workshop of six seats on Wednesday; public holidays and three weeks of
August are closed. Past slots get bookings (seen, no-show, cancelled by the resident, and a few
slots cancelled by the centre), seen bookings become logged help sessions (a workshop is one
session with its participants), walk-ins take numbered tickets, wait, and are helped; residents
come back, some often, and grow more autonomous; call-back requests arrive and are handled.
Everything is drawn from `random.Random(seed)`, so a run is reproducible for a given day.
"""
import hashlib
import itertools
import math
import random
import unicodedata
from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import bindparam, func, insert, select, update

from ..accounts.models import Role, User
from ..booking.codes import ALPHABET, CODE_LENGTH
from ..booking.callbacks import moment_mask
from ..booking.models import Booking, CallbackRequest, Location, Slot, Topic, slot_topic
from ..booking.slotgen import french_public_holidays
from ..desk.models import (AgeBracket, Attendee, Commune, HelpSession, Need, NationalTheme, QueueTicket,
                           ReferralTarget, Resident, SessionTheme, help_session_need, help_session_topic, search_key,
                           sorted_themes)
from . import daily_counts

BATCH = 2_000
SUMMER_WEEKS = 3
FIRST_NAMES = [
    "Fatima", "Mohamed", "Aïcha", "Karim", "Nadia", "Youssef", "Samira", "Rachid", "Leïla", "Ahmed",
    "Marie", "Jean", "Monique", "Bernard", "Josiane", "Gérard", "Sylvie", "Michel", "Françoise", "Daniel",
    "Awa", "Mamadou", "Fatoumata", "Ibrahima", "Aminata", "Moussa", "Afiavi", "Kossi", "Comlan", "Sèna",
    "Ana", "José", "Maria", "Ayşe", "Mehmet", "Anahit", "Aram", "Svetlana", "Olena", "Léa", "Lucas",
    "Inès", "Nathan", "Chloé", "Yanis", "Sarah", "Christiane", "Roger", "Odette", "Marcel", "Yvette",
]
LAST_NAMES = [
    "Martin", "Bernard", "Benali", "Diallo", "Traoré", "Dossou", "Hounkpatin", "Petrossian", "Yilmaz",
    "Da Silva", "Moreau", "Garcia", "Lefèvre", "Roux", "Fontaine", "Chevalier", "Mercier", "Haddad",
    "Bensaïd", "Kouyaté", "Agbodjan", "Sarkissian", "Kovalenko", "Ferreira", "Nguyen", "Faure", "Blanc",
]
NEIGHBOURHOODS = [
    ("Petit Charran", 30), ("Fontbarlettes", 18), ("Le Plan", 12), ("Valence centre", 10),
    ("Chamberlière", 8), ("Les Baumes", 6), ("Bourg-lès-Valence", 6), ("Portes-lès-Valence", 4),
    ("Guilherand-Granges", 3), ("Saint-Marcel-lès-Valence", 3),
]
TOPIC_WEIGHTS = {"demarches": 55, "achats": 15, "scolarite": 15, "smartphone": 15}
DOMAINS = [("money", 22), ("social_health", 18), ("family", 16), ("work", 14), ("papers", 10),
           ("housing", 9), ("foreigners", 6), ("transport", 3), ("justice", 1), ("leisure", 1), ("associations", 1)]
PROCEDURES = {
    "money": ["Déclaration de revenus", "Prime d'activité", "Paiement en ligne"],
    "social_health": ["Compte Ameli", "Complémentaire santé solidaire", "Attestation de droits"],
    "family": ["Allocations familiales", "Inscription cantine", "Dossier de bourse"],
    "work": ["Actualisation France Travail", "CV en ligne", "Candidature"],
    "papers": ["Carte d'identité", "Permis de conduire ANTS", "Carte grise"],
    "housing": ["Demande de logement social", "Aide au logement"],
    "foreigners": ["Titre de séjour (ANEF)", "Naturalisation"],
    "transport": ["Abonnement bus", "Billet de train"],
    "justice": ["Casier judiciaire"],
    "leisure": ["Inscription médiathèque"],
    "associations": ["Compte Asso", "Déclaration d'association"],
}
AGES = [("under_12", 1), ("12_17", 2), ("18_24", 8), ("25_39", 22), ("40_59", 27), ("60_69", 18), ("70_plus", 16),
        ("unknown", 6)]
SITUATIONS = [("student", 6), ("unemployed", 24), ("employed", 28), ("retired", 30), ("unknown", 12)]
OUTCOMES = [("resolved", 60), ("follow_up", 19), ("referred", 13), ("unresolved", 8)]
AUTONOMY = ["guided", "partly", "autonomous"]
WORKSHOP_TOPIC = "smartphone"
WORKSHOP_TITLE = "Atelier smartphone : premiers pas"
# The national report's vocabulary (issue 16). Drawn from a second random stream (`Generator.more`),
# so that everything else a seed gave before stays the same.
GENDERS = [("female", 55), ("male", 37), ("not_given", 8)]
# A theme now and then beside the topic's own: (theme, chance).
EXTRA_THEMES = [(NationalTheme.EMAIL.value, 0.08), (NationalTheme.SECURITY.value, 0.05),
                (NationalTheme.BROWSING.value, 0.05), (NationalTheme.HEALTH.value, 0.03)]
# The commune of each neighbourhood, by name in the communes list; the rest live in Valence.
NEIGHBOURHOOD_COMMUNES = {"Bourg-lès-Valence": "Bourg-lès-Valence", "Portes-lès-Valence": "Portes-lès-Valence",
                          "Guilherand-Granges": "Guilherand-Granges",
                          "Saint-Marcel-lès-Valence": "Saint-Marcel-lès-Valence"}
OTHER_POSTAL_CODES = ["26400", "26100", "07300", "26200"]  # Crest, Romans, Tournon, Montélimar


def closed_days(first, last):
    """Public holidays and the summer closure (three weeks from August's first Monday)."""
    days = set()
    for year in range(first.year, last.year + 1):
        days.update(day for day, _ in french_public_holidays(year))
        august = date(year, 8, 1)
        monday = august + timedelta(days=(7 - august.weekday()) % 7)
        days.update(monday + timedelta(days=n) for n in range(7 * SUMMER_WEEKS))
    return days


def season(day):
    """How busy the centre is in that month: back-to-school and tax season are the peaks."""
    return {1: 1.0, 2: 1.0, 3: 1.1, 4: 1.2, 5: 1.3, 6: 1.0, 7: 0.6, 8: 0.5, 9: 1.4, 10: 1.3,
            11: 1.1, 12: 0.8}[day.month]


def pick(rng, weighted):
    return rng.choices([value for value, _ in weighted], weights=[weight for _, weight in weighted])[0]


def batches(rows, size=BATCH):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


class Writer:
    """Bulk inserts through one connection, handing back the new ids in order."""

    def __init__(self, connection):
        self.connection = connection

    def add(self, table, rows, returning=False):
        ids = []
        for chunk in batches(rows):
            if returning:
                ids.extend(self.connection.execute(
                    insert(table).returning(table.c.id, sort_by_parameter_order=True), chunk).scalars().all())
            else:
                self.connection.execute(insert(table), chunk)
        return ids


class Generator:
    """The state shared by every place of a run: residents, ticket numbers, unique booking codes."""

    def __init__(self, connection, rng, tz, now, topics, needs, referrals, residents, existing_codes,
                 topic_themes=None, communes=None, more=None):
        self.writer = Writer(connection)
        self.rng, self.tz, self.now = rng, tz, now
        self.more = more or random.Random(0)  # the national vocabulary's draws
        self.topic_themes = topic_themes or {}  # slug -> national theme codes
        self.communes = communes or {}  # name -> id
        self.genders = {}  # resident index -> gender, the same at every visit
        self.topics = topics  # slug -> id
        self.needs, self.referrals = needs, referrals  # [id]
        self.residents = residents  # [(id, first_name, phone, email, birth_year, neighbourhood)]
        self.popularity = list(itertools.accumulate(rng.paretovariate(1.3) for _ in residents))
        self.visits = defaultdict(int)  # resident index -> sessions so far
        self.ticket_numbers = defaultdict(int)  # day -> last number
        self.codes = set(existing_codes)
        self.counts = defaultdict(int)

    # -- identities -----------------------------------------------------------------------------
    def resident(self):
        return self.rng.choices(range(len(self.residents)), cum_weights=self.popularity)[0]

    def code(self):
        while True:
            code = "".join(self.rng.choices(ALPHABET, k=CODE_LENGTH))
            if code not in self.codes:
                self.codes.add(code)
                return code

    def local(self, day, clock):
        return datetime.combine(day, clock, self.tz).astimezone(timezone.utc)

    # -- one help session -------------------------------------------------------------------------
    def session_row(self, *, day, start, minutes, kind, topic_slug, facilitator_id, location_id, who,
                    participants=1, slot_id=None, ticket_id=None):
        """A help session's row and its links: (row, topic ids, need ids)."""
        rng = self.rng
        slugs = [topic_slug]
        if rng.random() < 0.2:
            other = pick(rng, list(TOPIC_WEIGHTS.items()))
            if other != topic_slug:
                slugs.append(other)
        visits = self.visits[who] if who is not None else rng.choice([0, 0, 1, 2, 4])
        resident = self.residents[who] if who is not None else None
        level = min(2, max(0, round(rng.gauss(0.25 + 0.35 * min(visits, 4), 0.6))))
        outcome = pick(rng, OUTCOMES)
        domain = pick(rng, DOMAINS) if "demarches" in slugs else None
        if topic_slug == "smartphone" or rng.random() < 0.3:
            equipment, own = "phone", rng.random() < 0.85
        else:
            equipment = pick(rng, [("computer", 80), ("tablet", 6), ("other", 4), ("none", 10)])
            own = None if equipment == "none" else rng.random() < 0.15
        assistance = "for" if domain and rng.random() < 0.3 else "with"
        age = resident and resident[4] and AgeBracket.of_birth_year(resident[4], day).value
        row = {
            "kind": kind, "day": day, "start_time": start, "duration_minutes": minutes,
            "channel": pick(rng, [("on_site", 90), ("remote", 7), ("home", 1), ("other_place", 2)]),
            "equipment": equipment, "equipment_own": own, "admin_domain": domain,
            "procedure_name": rng.choice(PROCEDURES[domain]) if domain and rng.random() < 0.7 else None,
            "assistance": assistance, "aidants_connect": assistance == "for" and rng.random() < 0.25,
            "autonomy": AUTONOMY[level] if rng.random() < 0.9 else None,
            "outcome": outcome,
            "referral_target_id": rng.choice(self.referrals) if outcome == "referred" and self.referrals else None,
            "participant_count": participants,
            "age_bracket": age or (pick(rng, AGES) if rng.random() < 0.8 else None),
            "situation": pick(rng, SITUATIONS) if rng.random() < 0.85 else None,
            "neighbourhood": (resident[5] if resident else pick(rng, NEIGHBOURHOODS)) if rng.random() < 0.9 else None,
            "first_visit": visits == 0 if kind != "workshop" else None,
            "note": None, "facilitator_id": facilitator_id, "location_id": location_id,
            "slot_id": slot_id, "ticket_id": ticket_id,
            "created_at": self.local(day, start) + timedelta(minutes=minutes + 5),
            "updated_at": self.local(day, start) + timedelta(minutes=minutes + 5),
        }
        need_count = rng.choices([0, 1, 2, 3], weights=[45, 35, 15, 5])[0]
        need_ids = sorted(set(rng.choices(self.needs, weights=[len(self.needs) - n for n in range(len(self.needs))],
                                          k=need_count))) if self.needs else []
        self._national(row, slugs, who, resident)
        if who is not None:
            self.visits[who] += 1
        return row, [self.topics[slug] for slug in slugs if slug in self.topics], need_ids

    def _national(self, row, slugs, who, resident):
        """The session's national themes, gender, commune and workshop fields (issue 16)."""
        more = self.more
        themes = {theme for slug in slugs for theme in self.topic_themes.get(slug, ())}
        if row["admin_domain"]:
            themes.add(NationalTheme.ADMIN_PROCEDURES.value)
        themes.update(theme for theme, chance in EXTRA_THEMES if more.random() < chance)
        row["_themes"] = sorted_themes(themes or {NationalTheme.DEVICE_HANDLING.value})
        if who is None:
            row["gender"] = pick(more, GENDERS) if row["kind"] != "workshop" else None
        else:
            row["gender"] = self.genders.setdefault(who, pick(more, GENDERS))
        neighbourhood = resident[5] if resident else row["neighbourhood"]
        row["commune_id"], row["other_postal_code"] = None, None
        if not self.communes:
            pass  # a centre without its communes list records none (the tests' generated history)
        elif more.random() < 0.04:
            row["other_postal_code"] = more.choice(OTHER_POSTAL_CODES)
        elif neighbourhood or more.random() < 0.7:
            row["commune_id"] = self.communes.get(NEIGHBOURHOOD_COMMUNES.get(neighbourhood, "Valence"))
        workshop = row["kind"] == "workshop"
        row["workshop_title"] = WORKSHOP_TITLE if workshop else None
        row["workshop_level"] = "beginner" if workshop else None

    # -- one place over a range of days ---------------------------------------------------------
    def place(self, location_id, facilitators, first_day, last_day, closed, walk_ins=1.0, desks=1):
        """Write a place's slots, bookings, tickets, help sessions and call-backs between two days."""
        rng = self.rng
        afternoons = [rng.sample([0, 1, 3, 4], 3) for _ in range(desks)]
        slots, slot_meta = [], []
        tickets = []
        day = first_day
        while day <= last_day:
            if day in closed or day.weekday() >= 5:
                day += timedelta(days=1)
                continue
            for desk in range(desks):
                halves = [time(9)] + ([time(14)] if day.weekday() in afternoons[desk] else [])
                for half in halves:
                    topic = pick(rng, list(TOPIC_WEIGHTS.items()))
                    for n in range(4):
                        minutes = half.hour * 60 + 45 * n
                        start = time(minutes // 60, minutes % 60)
                        slots.append(self._slot(day, start, 45, 1, location_id, facilitators[desk % len(facilitators)]))
                        slot_meta.append((day, start, topic, 1))
            if day.weekday() == 2:
                slots.append(self._slot(day, time(14), 120, 6, location_id, facilitators[-1],
                                        "Atelier smartphone : premiers pas"))
                slot_meta.append((day, time(14), WORKSHOP_TOPIC, 6))
            for half, last_minute in ((9 * 60, 11 * 60 + 30), (14 * 60, 16 * 60 + 30)):
                for _ in range(self._poisson(walk_ins * season(day))):
                    tickets.append(self._ticket(day, half, last_minute, facilitators))
            day += timedelta(days=1)

        self._cancel_some(slots)
        slot_ids = self.writer.add(Slot.__table__, slots, returning=True)
        self.writer.add(slot_topic, [{"slot_id": slot_id, "topic_id": self.topics[meta[2]]}
                                     for slot_id, meta in zip(slot_ids, slot_meta) if meta[2] in self.topics])
        self.counts["slots"] += len(slots)
        self._bookings_and_sessions(slots, slot_ids, slot_meta, location_id)
        self._walk_ins(tickets, location_id)
        self._callbacks(first_day, last_day, closed, facilitators)

    def _slot(self, day, start, minutes, capacity, location_id, facilitator_id, title=None):
        starts_at = self.local(day, start)
        return {"starts_at": starts_at, "ends_at": starts_at + timedelta(minutes=minutes), "capacity": capacity,
                "seats_taken": 0, "location_id": location_id, "facilitator_id": facilitator_id, "rule_id": None,
                "workshop_title": title, "cancelled": False, "offered": True}

    def _cancel_some(self, slots):
        for slot in slots:
            if self.rng.random() < 0.02:
                slot["cancelled"] = True

    def _poisson(self, mean):
        # Knuth's method: small means only.
        limit, k, p = math.exp(-mean), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= limit:
                return k
            k += 1

    def _ticket(self, day, first_minute, last_minute, facilitators):
        rng = self.rng
        minute = rng.randint(first_minute, last_minute)
        issued = self.local(day, time(minute // 60, minute % 60)) + timedelta(seconds=rng.randint(0, 59))
        wait = timedelta(minutes=min(120.0, rng.lognormvariate(math.log(11), 0.7)))
        left = rng.random() < 0.07
        self.ticket_numbers[day] += 1
        topic = pick(rng, list(TOPIC_WEIGHTS.items()))
        return {
            "day": day, "number": self.ticket_numbers[day], "first_name": None,
            "topic_id": self.topics.get(topic), "source": "kiosk" if rng.random() < 0.4 else "desk",
            "booking_id": None, "resident_id": None, "status": "left" if left else "served",
            "issued_at": issued, "called_at": None if left else issued + wait,
            "called_by_id": None if left else rng.choice(facilitators), "desk": None if left else "1",
            "closed_at": issued + wait, "_topic": topic,
        }

    def _bookings_and_sessions(self, slots, slot_ids, slot_meta, location_id):
        rng = self.rng
        bookings = []
        sessions = []  # (row, topic ids, need ids, [(resident index, booking index)])
        for slot, slot_id, (day, start, topic, capacity) in zip(slots, slot_ids, slot_meta):
            if slot["starts_at"] >= self.now:
                continue
            seen = []
            if slot["cancelled"]:
                for _ in range(1 if capacity == 1 else rng.randint(1, 3)):
                    bookings.append(self._booking(slot, slot_id, topic, "cancelled_by_centre", self.resident()))
                continue
            fill = min(0.97, 0.72 * season(day))
            for _ in range(capacity):
                if rng.random() < 0.12:
                    bookings.append(self._booking(slot, slot_id, topic, "cancelled_by_resident", self.resident()))
                if rng.random() < fill:
                    who = self.resident()
                    status = "no_show" if rng.random() < 0.1 else "seen"
                    bookings.append(self._booking(slot, slot_id, topic, status, who))
                    if status == "seen":
                        slot["seats_taken"] += 1
                        seen.append((who, len(bookings) - 1))
            if not seen or rng.random() < 0.04:  # now and then a session is not logged
                continue
            facilitator = slot["facilitator_id"]
            if capacity == 1:
                row, topics, needs = self.session_row(
                    day=day, start=start, minutes=rng.choice([30, 45, 45, 45, 60, 90]), kind="individual",
                    topic_slug=topic, facilitator_id=facilitator, location_id=location_id, who=seen[0][0],
                    slot_id=slot_id)
            else:
                row, topics, needs = self.session_row(
                    day=day, start=start, minutes=120, kind="workshop", topic_slug=topic, facilitator_id=facilitator,
                    location_id=location_id, who=None, participants=len(seen) + rng.randint(0, 2), slot_id=slot_id)
                for who, _ in seen[1:]:
                    self.visits[who] += 1
            sessions.append((row, topics, needs, seen))
        booking_ids = self.writer.add(Booking.__table__, bookings, returning=True)
        # The slots were written before their bookings were drawn: give them their seats now.
        slots_table = Slot.__table__
        taken = [{"slot": slot_id, "seats": slot["seats_taken"]} for slot, slot_id in zip(slots, slot_ids)
                 if slot["seats_taken"]]
        for chunk in batches(taken):
            self.writer.connection.execute(
                update(slots_table).where(slots_table.c.id == bindparam("slot")).values(seats_taken=bindparam("seats")),
                chunk)
        self.counts["bookings"] += len(bookings)
        self._write_sessions([(row, topics, needs, [(self.residents[who][0], booking_ids[index])
                                                    for who, index in seen])
                              for row, topics, needs, seen in sessions])

    def _booking(self, slot, slot_id, topic, status, who):
        rng = self.rng
        _, first_name, phone, email, _, _ = self.residents[who]
        created = min(slot["starts_at"] - timedelta(hours=2, days=min(40.0, rng.expovariate(1 / 6))),
                      self.now - timedelta(minutes=5))
        cancelled = None
        if status == "cancelled_by_resident":
            cancelled = created + (slot["starts_at"] - created) * rng.random()
        elif status == "cancelled_by_centre":
            cancelled = max(created, slot["starts_at"] - timedelta(hours=rng.uniform(2, 72)))
        token = rng.randbytes(16).hex()
        return {
            "slot_id": slot_id, "topic_id": self.topics[topic], "code": self.code(),
            "token_hash": hashlib.sha256(token.encode()).hexdigest(), "request_key": token,
            "first_name": first_name, "phone": phone, "email": email, "note": None,
            "reminder_consent": rng.random() < 0.7, "language": "fr", "status": status,
            "created_at": created, "updated_at": cancelled or slot["ends_at"], "cancelled_at": cancelled,
            "resident_id": self.residents[who][0],
            "checked_in_at": slot["starts_at"] - timedelta(minutes=rng.randint(0, 10)) if status == "seen" else None,
        }

    def _walk_ins(self, tickets, location_id):
        rng = self.rng
        helped = []
        for ticket in tickets:
            who = self.resident() if rng.random() < 0.55 else None
            ticket["resident_id"] = self.residents[who][0] if who is not None else None
            ticket["first_name"] = self.residents[who][1] if who is not None else None
            helped.append(who)
        topics = [ticket.pop("_topic") for ticket in tickets]
        ticket_ids = self.writer.add(QueueTicket.__table__, tickets, returning=True)
        self.counts["tickets"] += len(tickets)
        sessions = []
        for ticket, ticket_id, topic, who in zip(tickets, ticket_ids, topics, helped):
            if ticket["status"] != "served":
                continue
            called = ticket["called_at"].astimezone(self.tz)
            quick = rng.random() < 0.2
            minutes = 15 if quick else rng.choice([15, 30, 30, 45, 60])
            row, topic_ids, needs = self.session_row(
                day=ticket["day"], start=time(called.hour, called.minute), minutes=minutes,
                kind="quick" if quick else "individual", topic_slug=topic, facilitator_id=ticket["called_by_id"],
                location_id=location_id, who=who, ticket_id=ticket_id)
            ticket["closed_at"] = ticket["called_at"] + timedelta(minutes=minutes)
            sessions.append((row, topic_ids, needs, [(self.residents[who][0], None)] if who is not None else []))
        self._write_sessions(sessions)

    def _write_sessions(self, sessions):
        themes = [row.pop("_themes") for row, _, _, _ in sessions]
        ids = self.writer.add(HelpSession.__table__, [row for row, _, _, _ in sessions], returning=True)
        self.writer.add(SessionTheme.__table__, [{"session_id": session_id, "theme": theme}
                                                 for session_id, codes in zip(ids, themes) for theme in codes])
        self.counts["sessions"] += len(ids)
        self.counts["participants"] += sum(row["participant_count"] for row, _, _, _ in sessions)
        self.writer.add(help_session_topic, [{"session_id": session_id, "topic_id": topic_id}
                                             for session_id, (_, topics, _, _) in zip(ids, sessions)
                                             for topic_id in topics])
        self.writer.add(help_session_need, [{"session_id": session_id, "need_id": need_id}
                                            for session_id, (_, _, needs, _) in zip(ids, sessions)
                                            for need_id in needs])
        self.writer.add(Attendee.__table__, [{"session_id": session_id, "resident_id": resident_id,
                                              "booking_id": booking_id}
                                             for session_id, (_, _, _, people) in zip(ids, sessions)
                                             for resident_id, booking_id in people])

    def _callbacks(self, first_day, last_day, closed, facilitators):
        rng = self.rng
        rows = []
        day = first_day
        while day <= last_day:
            if day not in closed and rng.random() < 0.35 * season(day):
                created = self.local(day, time(rng.randint(7, 21), rng.randint(0, 59)))
                handled = created + timedelta(hours=min(200.0, rng.lognormvariate(math.log(20), 0.8)))
                done = handled < self.now and rng.random() < 0.9
                topic_id = self.topics[pick(rng, list(TOPIC_WEIGHTS.items()))]
                first_name, phone = rng.choice(FIRST_NAMES), f"+3367{rng.randrange(10 ** 7):07d}"
                moments = rng.choice(["mon-am", "tue-pm", "wed-am thu-am", "fri-pm", ""])
                rows.append({
                    "topic_id": topic_id, "first_name": first_name, "phone": phone, "moments": moments,
                    "moment_mask": moment_mask(moments.split()), "notify_by": "call",
                    "moments_note": None, "language": "fr", "created_at": created,
                    "handled_at": handled if done else None,
                    "handled_by_id": rng.choice(facilitators) if done else None,
                })
            day += timedelta(days=1)
        self.writer.add(CallbackRequest.__table__, rows)
        self.counts["callbacks"] += len(rows)


def make_residents(connection, rng, count, now, recorded, communes=None):
    """Insert `count` residents, recorded at the instant `recorded` (before the history's first day, so that
    retention counts from their visits); return [(id, first name, phone, e-mail, birth year, neighbourhood)]."""
    rows, phones = [], set()
    for _ in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        phone = None
        while phone is None or phone in phones:
            phone = f"+3376{rng.randrange(10 ** 7):07d}"
        phones.add(phone)
        plain = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode().lower()
        email = f"{plain}.{rng.randrange(10, 99999)}@example.net" if rng.random() < 0.3 else None
        birth = rng.randint(1935, 2008) if rng.random() < 0.7 else None
        rows.append({
            "first_name": first, "last_name": last, "phone": phone if rng.random() < 0.9 or not email else None,
            "email": email, "neighbourhood": pick(rng, NEIGHBOURHOODS), "language": "en" if rng.random() < 0.1 else "fr",
            "birth_year": birth, "age_bracket": AgeBracket.of_birth_year(birth, now.date()).value,
            "name_key": search_key(first, last),
            "remember_consent_at": now - timedelta(days=rng.randint(1, 900)) if rng.random() < 0.75 else None,
            "created_at": recorded, "updated_at": recorded,
        })
        # The commune of a remembered resident's neighbourhood, kept for their next session (issue 16).
        row = rows[-1]
        row["commune_id"] = ((communes or {}).get(NEIGHBOURHOOD_COMMUNES.get(row["neighbourhood"], "Valence"))
                             if row["remember_consent_at"] else None)
    ids = Writer(connection).add(Resident.__table__, rows, returning=True)
    return [(new_id, row["first_name"], row["phone"], row["email"], row["birth_year"], row["neighbourhood"])
            for new_id, row in zip(ids, rows)]


def lists(connection):
    topics = dict(connection.execute(select(Topic.slug, Topic.id)).all())
    topic_themes = {slug: list(themes or ()) for slug, themes in connection.execute(
        select(Topic.slug, Topic.national_themes)).all()}
    communes = dict(connection.execute(select(Commune.name, Commune.id).where(Commune.active.is_(True))).all())
    needs = connection.execute(select(Need.id).order_by(Need.position, Need.id)).scalars().all()
    referrals = connection.execute(select(ReferralTarget.id).order_by(ReferralTarget.position)).scalars().all()
    codes = connection.execute(select(Booking.code)).scalars().all()
    numbers = dict(connection.execute(select(QueueTicket.day, func.max(QueueTicket.number))
                                      .group_by(QueueTicket.day)).all())
    return topics, needs, referrals, codes, numbers, topic_themes, communes


def generate(connection, *, places, first_day, last_day, tz, now, residents, seed=1, walk_ins=1.0):
    """Write a past for `places` ([(location id, [facilitator ids], desks)]); return what was written."""
    rng = random.Random(seed)
    topics, needs, referrals, codes, numbers, topic_themes, communes = lists(connection)
    people = make_residents(connection, rng, residents, now,
                            recorded=datetime.combine(first_day, time(), tzinfo=tz).astimezone(timezone.utc),
                            communes=communes)
    generator = Generator(connection, rng, tz, now, topics, needs, referrals, people, codes,
                          topic_themes=topic_themes, communes=communes, more=random.Random(seed + 1_000_003))
    generator.ticket_numbers.update(numbers)  # tickets already given on those days keep their numbers
    closed = closed_days(first_day, last_day)
    for location_id, facilitators, desks in places:
        generator.place(location_id, facilitators, first_day, last_day, closed, walk_ins=walk_ins, desks=desks)
    daily_counts.refresh(connection, first=first_day, last=last_day)  # bulk inserts go round the ORM's hook
    generator.counts["residents"] = len(people)
    return dict(generator.counts)


def has_sessions(session):
    return session.execute(select(HelpSession.id).limit(1)).first() is not None


def six_months_of_activity(session, tz):
    """The demo's past: six months of the demo's rooms, their facilitators, bookings and walk-ins."""
    if has_sessions(session):
        return None
    now = datetime.now(timezone.utc)
    today = now.astimezone(tz).date()
    places = session.execute(select(Location.id).order_by(Location.position, Location.id)).scalars().all()
    staff = session.execute(select(User.id).where(User.role == Role.FACILITATOR.value).order_by(User.id)
                            ).scalars().all() or session.execute(select(User.id)).scalars().all()
    if not places or not staff:
        return None
    session.commit()
    with session.get_bind().begin() as connection:
        return generate(connection, places=[(place, staff, 1) for place in places[:2]],
                        first_day=today - timedelta(days=183), last_day=today - timedelta(days=1), tz=tz,
                        now=now, residents=400, seed=7, walk_ins=1.3)


def bench_history(session, tz, years=3, bookings=120_000, residents=22_000, seed=1):
    """A network's past over `years` years with at least `bookings` bookings; returns what was written."""
    now = datetime.now(timezone.utc)
    today = now.astimezone(tz).date()
    staff = session.execute(select(User.id).order_by(User.id)).scalars().all()
    if not staff:
        raise ValueError("no staff account: load the demo first")
    start = session.execute(select(func.coalesce(func.max(Location.position), 0))).scalar_one()
    session.commit()
    per_place_year = 1_550  # bookings a one-desk place gets in a year, measured on the generator
    count = math.ceil(bookings * 1.08 / (per_place_year * years))
    with session.get_bind().begin() as connection:
        ids = Writer(connection).add(Location.__table__, [
            {"name": f"Antenne du réseau n° {n + 1}", "position": start + n + 1, "active": True}
            for n in range(count)], returning=True)
        places = [(place, [staff[(n + k) % len(staff)] for k in range(2)], 1) for n, place in enumerate(ids)]
        return generate(connection, places=places, first_day=today - timedelta(days=365 * years),
                        last_day=today - timedelta(days=1), tz=tz, now=now, residents=residents, seed=seed,
                        walk_ins=0.9)
