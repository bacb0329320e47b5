"""Demo step "today": a living day at the desk (see tiers_lieu/demo.py).

Some residents already checked in, some expected, one no-show, two walk-ins waiting. Seats are
taken through `reservations.take_seat`, like any booking; the step adds nothing twice.
"""
from datetime import datetime, time, timedelta

from sqlalchemy import select

from ..accounts.service import find_by_email
from ..booking import reservations
from ..booking.codes import hash_token, new_request_key, token_for
from ..booking.contact import normalise_phone
from ..booking.models import Booking, BookingStatus, Location, Slot, Topic
from ..booking.topics import active_topics
from ..core.centre import centre_timezone
from ..database import utcnow
from ..extensions import db
from .models import QueueTicket, TicketSource
from .reception import agenda, queue

# (first name, phone, e-mail, note, topic slug, status)
TODAY = [
    ("Mariam", "06 71 23 45 67", None, "Dossier de logement social à compléter", "demarches", BookingStatus.CHECKED_IN),
    ("Bernard", "06 82 34 56 78", None, "Mon compte Ameli est bloqué", "demarches", BookingStatus.CHECKED_IN),
    ("Yasmina", None, "yasmina.demo@example.org", None, "scolarite", BookingStatus.NO_SHOW),
    ("Olivier", "07 61 45 67 89", None, "Installer WhatsApp pour appeler mes petits-enfants", "smartphone",
     BookingStatus.BOOKED),
    ("Chantal", "06 93 56 78 90", None, "Acheter un billet de bus pour Lyon", "achats", BookingStatus.BOOKED),
    ("Moussa", "07 52 67 89 01", None, "Renouveler mon titre de séjour (ANEF)", "demarches", BookingStatus.BOOKED),
]
WALK_INS = [("Rachid", "demarches", 14), (None, "smartphone", 5)]  # first name, topic, minutes waiting


def free_slots_around(day, tz, now):
    """Up to three free individual slots of today that have begun, and three to come."""
    start, end = agenda.day_bounds(day, tz)
    free = db.session.execute(
        select(Slot).where(Slot.starts_at >= start, Slot.starts_at < end, Slot.cancelled.is_(False),
                           Slot.capacity == 1, Slot.seats_taken == 0).order_by(Slot.starts_at)
    ).scalars().all()
    begun = [slot for slot in free if slot.starts_at <= now][-3:]
    coming = [slot for slot in free if slot.starts_at > now][:len(TODAY) - len(begun)]
    return begun + coming


def ensure_slots_today(day, tz, now):
    """Today may be a Sunday, a holiday or its evening: open demo slots around now by hand then."""
    slots = free_slots_around(day, tz, now)
    if len(slots) >= len(TODAY):
        return slots
    location = db.session.execute(select(Location).order_by(Location.position)).scalars().first()
    facilitator = find_by_email("facilitator@example.org")
    topics = active_topics(db.session)
    local_now = now.astimezone(tz)
    # Half of them begun, half to come; late in the evening, the last one still starts before midnight.
    anchor = datetime.combine(day, time(local_now.hour, 0 if local_now.minute < 30 else 30), tzinfo=tz)
    last_anchor = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz) - timedelta(minutes=30 * len(TODAY))
    anchor = max(min(anchor - timedelta(minutes=90), last_anchor), datetime.combine(day, time(0), tzinfo=tz))
    for number in range(len(TODAY)):
        starts_at = anchor + timedelta(minutes=30 * number)
        db.session.add(Slot(starts_at=starts_at, ends_at=starts_at + timedelta(minutes=30), capacity=1,
                            location=location, facilitator_id=facilitator.id if facilitator else None,
                            topics=topics))
    db.session.commit()
    return free_slots_around(day, tz, now)


def demo_today():
    """Today's agenda with arrivals, a no-show and two walk-ins waiting."""
    tz = centre_timezone()
    now = utcnow()
    day = now.astimezone(tz).date()
    if db.session.execute(select(QueueTicket.id).where(QueueTicket.day == day).limit(1)).first() is not None:
        return
    topics = {topic.slug: topic for topic in db.session.execute(select(Topic)).scalars()}
    if not topics:
        return
    staff = find_by_email("facilitator@example.org")
    slots = ensure_slots_today(day, tz, now)
    begun = sum(1 for slot in slots if slot.starts_at <= now)
    # Those whose slot has begun arrived or did not come; the others are expected.
    plan = [entry for entry in TODAY if entry[-1] is not BookingStatus.BOOKED][:begun]
    plan += [entry for entry in TODAY if entry[-1] is BookingStatus.BOOKED]
    plan += [entry for entry in TODAY if entry not in plan]
    for slot, (first_name, phone, email, note, slug, status) in zip(slots, plan):
        if status is not BookingStatus.BOOKED and slot.starts_at > now:
            status = BookingStatus.BOOKED
        topic = topics.get(slug) or next(iter(topics.values()))
        if status is not BookingStatus.NO_SHOW and not reservations.take_seat(db.session, slot.id):
            continue
        request_key = new_request_key()
        db.session.add(Booking(
            slot_id=slot.id, topic_id=topic.id, code=reservations.unused_code(db.session),
            token_hash=hash_token(token_for(request_key)), request_key=request_key, first_name=first_name,
            phone=normalise_phone(phone) if phone else None, email=email, note=note, language="fr",
            status=status.value, booked_by_id=staff.id if staff else None,
            checked_in_at=min(now, slot.starts_at) - timedelta(minutes=5)
            if status is BookingStatus.CHECKED_IN else None,
        ))
        db.session.commit()
    for first_name, slug, minutes in WALK_INS:
        topic = topics.get(slug) or next(iter(topics.values()))
        queue.issue(db.session, day=day, topic_id=topic.id, first_name=first_name, source=TicketSource.KIOSK,
                    now=now - timedelta(minutes=minutes))
