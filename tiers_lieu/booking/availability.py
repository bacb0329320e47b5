"""Which slots a resident may book, and the booking rules: queries that views, the API and the desk
share. Not a pure module: it runs SQL (see the README's architecture section)."""
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from itertools import groupby
from typing import Optional

from sqlalchemy import bindparam, literal, select
from sqlalchemy.orm import selectinload

from ..settings_cache import forget_when_flushed, remember
from .models import BookingRules, Location, Seats, Slot, Topic, TopicCard, slot_topic
from .topics import active_topics


DEFAULT_RULES = {"min_notice_minutes": 120, "horizon_weeks": 8, "change_deadline_minutes": 0,
                 "max_active_per_contact": 2, "late_grace_minutes": 10, "callback_weeks": 6}


@dataclass(frozen=True)
class Rules:
    min_notice_minutes: int
    horizon_weeks: int
    change_deadline_minutes: int
    max_active_per_contact: int
    late_grace_minutes: int = 10  # a booked resident later than this joins the walk-in queue
    callback_weeks: int = 6       # a call-back request ends after this many weeks


def booking_rules(session):
    """The coordinator's booking rules; the defaults until they are first saved."""

    def load():
        row = session.execute(select(BookingRules).limit(1)).scalar()
        if row is None:
            return Rules(**DEFAULT_RULES)
        return Rules(**{name: getattr(row, name) for name in DEFAULT_RULES})

    return remember("booking_rules", str(session.get_bind().url), load)


forget_when_flushed(BookingRules, "booking_rules")


@dataclass(frozen=True)
class Window:
    """The instants between which a slot may be booked now."""

    earliest: object
    latest: object

    @classmethod
    def for_rules(cls, rules, now):
        return cls(now + timedelta(minutes=rules.min_notice_minutes),
                   now + timedelta(weeks=rules.horizon_weeks))


def free_conditions(first, last, topic_id=None):
    """WHERE clauses of the slots with a free seat starting between `first` and `last` (values, or
    bound parameters of a statement built once), optionally for one topic."""
    conditions = [Slot.cancelled.is_(False), Slot.offered.is_(True), Slot.seats_taken < Slot.capacity,
                  Slot.starts_at >= first, Slot.starts_at <= last]
    if topic_id is not None:
        # Walk the window on ix_slot_starts_at and look each slot up in slot_topic's primary key.
        # Not `Slot.id IN (the topic's slots)`: SQLite builds that list from the topic's whole
        # history. Not EXISTS either: PostgreSQL turns it into a join, and once the tables are
        # analysed it may hash the topic's whole history for a week of slots (20 times slower).
        # A scalar subquery stays a lookup per slot on both databases.
        serves = (select(literal(1)).where(slot_topic.c.slot_id == Slot.id, slot_topic.c.topic_id == topic_id)
                  .scalar_subquery())
        conditions.append(serves.isnot(None))
    return conditions


def bounds(window, start=None, end=None):
    """The first and last instants a slot may start at: the window, narrowed to start–end."""
    return (max(window.earliest, start) if start else window.earliest,
            min(window.latest, end) if end else window.latest)


def free_slots_query(window, topic_id=None, start=None, end=None, columns=(Slot,)):
    """Slots with a free seat, bookable now, optionally for one topic and between two instants."""
    return select(*columns).where(*free_conditions(*bounds(window, start, end), topic_id)).order_by(
        Slot.starts_at, Slot.id)


def free_slots(session, window, topic_id=None, start=None, end=None, limit=None, with_topics=False):
    """The free slots with their place (and their topics, when asked), in time order."""
    query = free_slots_query(window, topic_id, start, end).options(selectinload(Slot.location))
    if with_topics:
        query = query.options(selectinload(Slot.topics))
    if limit:
        query = query.limit(limit)
    return session.execute(query).scalars().all()


@dataclass(frozen=True, slots=True)
class FreeSlot(Seats):
    """A free slot as the residents' listings show it, with its place's name."""

    id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    seats_taken: int
    workshop_title: Optional[str]
    place: str


SLOT, PLACE = Slot.__table__, Location.__table__


@cache
def _topic_statement(what):
    """The free slots of one topic between :first and :last, built once with bound parameters.

    The topic page runs two of these on every request: building and keying a statement costs
    more than running it (0.4 of 0.65 ms on PostgreSQL), so each is made once per process.
    """
    first, last, topic_id = bindparam("first"), bindparam("last"), bindparam("topic_id")
    columns = (SLOT.c.starts_at,) if what == "next start" else (
        SLOT.c.id, SLOT.c.starts_at, SLOT.c.ends_at, SLOT.c.capacity, SLOT.c.seats_taken, SLOT.c.workshop_title,
        PLACE.c.name)
    query = select(*columns).where(*free_conditions(first, last, topic_id)).order_by(SLOT.c.starts_at, SLOT.c.id)
    if what == "next start":
        return query.limit(1)
    query = query.join_from(SLOT, PLACE, PLACE.c.id == SLOT.c.location_id)
    return query.limit(bindparam("limit")) if what == "first listed" else query


def free_slot_listing(session, window, topic_id, start=None, end=None, limit=None):
    """[FreeSlot, …] of the topic in time order: what the topic, move and "next free times"
    pages list. Plain rows joined with the places, in one statement: ORM objects with a second
    query for their places cost the busiest public page twice as much."""
    first, last = bounds(window, start, end)
    params = {"first": first, "last": last, "topic_id": topic_id}
    if limit:
        rows = session.execute(_topic_statement("first listed"), {**params, "limit": limit})
    else:
        rows = session.execute(_topic_statement("listed"), params)
    return [FreeSlot(*row) for row in rows]


def first_free_start(session, window, topic_id, start):
    """When the first free slot of the topic after `start` begins, or None."""
    first, last = bounds(window, start)
    return session.execute(_topic_statement("next start"), {"first": first, "last": last, "topic_id": topic_id}
                           ).scalar()


def group_by_day(slots, tz):
    """[(local date, [slots…]), …] in time order."""
    return [(day, list(items)) for day, items in
            groupby(slots, key=lambda slot: slot.starts_at.astimezone(tz).date())]


def topic_cards(session):
    """The active topics in their order, as `TopicCard`s read again at most every few seconds: the
    home page and every topic page show them, and they change a few times a year."""

    def load():
        return tuple(TopicCard.of(topic) for topic in active_topics(session))

    return remember("topic_cards", str(session.get_bind().url), load)


forget_when_flushed(Topic, "topic_cards")


def topic_card(session, slug):
    """The active topic of this slug as a `TopicCard`, or None."""
    return next((card for card in topic_cards(session) if card.slug == slug), None)
