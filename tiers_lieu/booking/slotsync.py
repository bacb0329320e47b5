"""Slot sync: make the stored slots match what the opening hours and closures offer.

`slotgen` computes the slots in memory; this module compares them with the database and
creates, updates or retires rows. Only `booking.opening` calls it, after a change of hours,
closures or booking horizon, so that the change and its slots are one transaction.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..database import utcnow
from . import offers
from .availability import booking_rules
from .models import Booking, Closure, OpeningRule, Slot
from .slotgen import ClosureSpec, RuleSpec, generate_slots, start_of_day


@dataclass
class SyncReport:
    """What `sync_slots` changed, and the booked slots it left for a person to deal with."""

    created: int = 0
    updated: int = 0
    removed: int = 0
    # Booked slots no longer offered by the opening hours: someone has to call the residents.
    kept_booked: list[Slot] = field(default_factory=list)


def horizon(today, weeks=8):
    """Return the first and last day of the booking horizon."""
    return today, today + timedelta(weeks=weeks)


def rule_spec(rule):
    """Return the plain description of an opening rule that slot generation works on."""
    return RuleSpec(
        id=rule.id,
        weekday=rule.weekday,
        start_time=rule.start_time,
        end_time=rule.end_time,
        slot_length=rule.slot_length,
        location_id=rule.location_id,
        capacity=rule.capacity,
        facilitator_id=rule.facilitator_id,
        valid_from=rule.valid_from,
        valid_until=rule.valid_until,
        topic_ids=tuple(topic.id for topic in rule.topics),
        workshop_title=rule.workshop_title,
    )


def closure_spec(closure):
    return ClosureSpec(
        start_date=closure.start_date, end_date=closure.end_date, location_id=closure.location_id,
        facilitator_id=closure.facilitator_id,
    )


def load_rules(session, start, end):
    return session.execute(
        select(OpeningRule)
        .where(
            OpeningRule.active.is_(True),
            OpeningRule.valid_from <= end,
            (OpeningRule.valid_until.is_(None)) | (OpeningRule.valid_until >= start),
        )
        .options(selectinload(OpeningRule.topics))
    ).scalars().all()


def load_closures(session, start, end):
    return session.execute(
        select(Closure).where(Closure.start_date <= end, Closure.end_date >= start)
    ).scalars().all()


def generated_slots_between(session, since, until):
    """Return the slots generated from opening hours that start in [since, until).

    As the database has them now: within one transaction, seats given back and slots reopened
    by UPDATE statements are not yet seen by the slots already loaded in the session.
    """
    return session.execute(
        select(Slot)
        .where(Slot.rule_id.is_not(None), Slot.starts_at >= since, Slot.starts_at < until)
        .options(selectinload(Slot.topics))
        .execution_options(populate_existing=True)
    ).scalars().all()


def slots_with_bookings(session, slots):
    """Return the ids of those slots that any booking, current or past, points at."""
    ids = [slot.id for slot in slots]
    if not ids:
        return set()
    return set(session.execute(
        select(Booking.slot_id).where(Booking.slot_id.in_(ids)).distinct()
    ).scalars())


def same_time_and_place(slot, spec):
    return slot.ends_at == spec.ends_at and slot.location_id == spec.location_id


def apply_spec(slot, spec, topics_by_id):
    """Bring a slot in line with what its rule now offers; tell whether anything changed."""
    wanted = {
        "ends_at": spec.ends_at,
        "location_id": spec.location_id,
        # Never below the seats already taken: the CHECK constraint would refuse it.
        "capacity": max(spec.capacity, slot.seats_taken),
        "facilitator_id": spec.facilitator_id,
        "workshop_title": spec.workshop_title,
    }
    changed = False
    for name, value in wanted.items():
        if getattr(slot, name) != value:
            setattr(slot, name, value)
            changed = True
    if {topic.id for topic in slot.topics} != set(spec.topic_ids):
        slot.topics = [topics_by_id[topic_id] for topic_id in spec.topic_ids]
        changed = True
    return changed


def new_slot(spec, topics_by_id):
    return Slot(
        rule_id=spec.rule_id,
        starts_at=spec.starts_at,
        ends_at=spec.ends_at,
        capacity=spec.capacity,
        seats_taken=0,
        location_id=spec.location_id,
        facilitator_id=spec.facilitator_id,
        workshop_title=spec.workshop_title,
        topics=[topics_by_id[topic_id] for topic_id in spec.topic_ids],
    )


def retire(session, slot, has_bookings, report):
    """Take away a slot the opening hours no longer offer, unless a resident holds a seat on it."""
    if slot.seats_taken:
        slot.offered = False
        report.kept_booked.append(slot)
    elif has_bookings:
        # Only cancelled or no-show bookings: they stay for the statistics, so does their slot.
        if not slot.cancelled:
            slot.cancelled = True
            report.removed += 1
    else:
        session.delete(slot)
        report.removed += 1


def sync_slots(session, start, end, tz, now=None):
    """Make the future slots from `start` to `end` (local dates) match the opening hours; flush.

    Missing slots are created (and offered to the waiting list, `offers.seat_freed`), free slots
    no longer offered are removed, and booked ones are kept and reported. Running it again changes
    nothing. Past slots are left as they were.
    The caller commits: a change of opening hours or closures and the slots that follow from it
    are one transaction, all of it or none of it. Of two runs at the same time, the one that
    writes second fails on the unique (rule_id, starts_at) constraint and its transaction
    changes nothing.
    """
    now = now or utcnow()
    since = max(start_of_day(start, tz), now)
    until = start_of_day(end + timedelta(days=1), tz)
    rules = load_rules(session, start, end)
    specs = {
        spec.key: spec
        for spec in generate_slots(
            [rule_spec(rule) for rule in rules],
            [closure_spec(closure) for closure in load_closures(session, start, end)],
            start, end, tz,
        )
        if since <= spec.starts_at < until
    }
    topics_by_id = {topic.id: topic for rule in rules for topic in rule.topics}
    existing = generated_slots_between(session, since, until)
    booked_ever = slots_with_bookings(session, existing)
    report = SyncReport()

    for slot in existing:
        # Whatever happens to it, this slot holds its key: no second slot may be created there.
        spec = specs.pop((slot.rule_id, slot.starts_at), None)
        if spec is None:
            retire(session, slot, slot.id in booked_ever, report)
        elif slot.cancelled:
            continue  # cancelled by the centre on purpose; regeneration does not bring it back
        elif slot.seats_taken and not same_time_and_place(slot, spec):
            slot.offered = False
            report.kept_booked.append(slot)
        else:
            changed = apply_spec(slot, spec, topics_by_id) or not slot.offered
            slot.offered = True
            report.updated += changed

    created = [new_slot(spec, topics_by_id) for spec in specs.values()]
    session.add_all(created)
    report.created = len(created)
    session.flush()
    # A new slot's seats are freed seats too: the waiting list hears of those in the next two weeks.
    rules = booking_rules(session)
    for slot in created:
        if slot.starts_at < now + offers.OFFER_WITHIN:  # the horizon's far days: nothing to offer or flag
            offers.seat_freed(session, slot, rules, now, seats=slot.capacity)
    return report
