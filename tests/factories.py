"""The one place tests create rows of the booking domain; conftest's fixtures call it too.

`make_topic` and `make_slots` give a ready topic ("demarches") with bookable slots a few days from
now; `add_topic` and `add_slot` take every field from the caller (the fixtures' own defaults).
"""
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from tiers_lieu.booking.models import Location, Slot, Topic
from tiers_lieu.extensions import db

PARIS = ZoneInfo("Europe/Paris")


def local_instant(days_ahead, hour, minute=0):
    day = datetime.now(PARIS).date() + timedelta(days=days_ahead)
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS).astimezone(timezone.utc)


def add_topic(**fields):
    topic = Topic(**fields)
    db.session.add(topic)
    db.session.commit()
    return topic


def add_slot(**fields):
    slot = Slot(**fields)
    db.session.add(slot)
    db.session.commit()
    return slot


def make_topic(slug="demarches", **fields):
    return add_topic(**{"slug": slug, "name_fr": "Démarches administratives", "name_en": "Administrative procedures",
                        "description_fr": "CAF, impôts…", "description_en": "CAF, taxes…",
                        "pictogram": "demarches.svg", "what_to_bring_fr": "Une pièce d'identité\nVotre carte Vitale",
                        "what_to_bring_en": "An identity document\nYour carte Vitale", **fields})


def make_slots(topic, count=1, days_ahead=2, capacity=1, hour=9, location=None, title=None):
    """`count` consecutive 30-minute slots serving the topic, from `hour` local time."""
    location = location or Location(name="Salle informatique")
    slots = []
    for number in range(count):
        starts_at = local_instant(days_ahead, hour) + timedelta(minutes=30 * number)
        slot = Slot(starts_at=starts_at, ends_at=starts_at + timedelta(minutes=30), capacity=capacity,
                    location=location, topics=[topic], workshop_title=title)
        db.session.add(slot)
        slots.append(slot)
    db.session.commit()
    return slots


def booking_form(**overrides):
    data = {"first_name": "Awa", "phone": "06 12 34 56 78", "email": "", "note": "",
            "language": "fr", "topic": "demarches"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
