"""Opening hours, facilitators' absences and closures of the centre, and the slots that follow.

The one module that changes `OpeningRule` and `Closure` rows and brings the slots in line with
them (through `slotsync`). The coordinators' pages (/admin/hours, /admin/closures, /admin/rules),
the facilitators' own (/desk/hours), the demo and `flask slots` call it.

Every change is one transaction: the change, its audit record, the slots that follow and the
bookings cancelled with their messages are committed together by `resync`, or not at all.
Operations take plain values, never forms, and return a `Resync`: what the screen must tell
(the residents to call, the booked slots kept that someone must deal with).
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Optional

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from .. import audit
from ..core.centre import centre_timezone, centre_today
from ..core.inputs import EARLIEST_DATE, LATEST_DATE
from ..database import utcnow
from . import reservations
from .availability import booking_rules
from .models import EXPECTED, Booking, Closure, OpeningRule, Slot, Topic
from .slotgen import french_public_holidays
from .slotsync import closure_spec, horizon, load_closures, sync_slots

REASON_ABSENCE = _l("the facilitator is absent that day")
REASON_HOURS = _l("the opening hours changed")


@dataclass(frozen=True)
class RuleValues:
    """What an opening rule says, as a screen or a script gives it."""

    weekday: int
    start_time: time
    end_time: time
    slot_length: int
    capacity: int
    location_id: int
    valid_from: date
    topic_ids: tuple[int, ...]
    facilitator_id: Optional[int] = None
    valid_until: Optional[date] = None
    workshop_title: Optional[str] = None


@dataclass
class Resync:
    """What a change did to the slots: the bookings it cancelled (their residents are told and
    staff call them) and the booked slots no longer offered that it left for a person."""

    cancelled: list[int] = field(default_factory=list)
    kept_booked: list[Slot] = field(default_factory=list)


# --- reading ---------------------------------------------------------------------------------

def rules_of(session, facilitator_id=None):
    """Opening rules, active first, by weekday and time; only one facilitator's when given."""
    query = (select(OpeningRule)
             .options(selectinload(OpeningRule.topics), selectinload(OpeningRule.location),
                      selectinload(OpeningRule.facilitator))
             .order_by(OpeningRule.active.desc(), OpeningRule.weekday, OpeningRule.start_time, OpeningRule.id))
    if facilitator_id is not None:
        query = query.where(OpeningRule.facilitator_id == facilitator_id)
    return session.execute(query).scalars().all()


def upcoming_absences(session, facilitator_id=None):
    """Facilitators' absences not yet over, soonest first; only one facilitator's when given."""
    query = (select(Closure).where(Closure.facilitator_id.is_not(None), Closure.end_date >= centre_today())
             .options(selectinload(Closure.facilitator)).order_by(Closure.start_date, Closure.id))
    if facilitator_id is not None:
        query = query.where(Closure.facilitator_id == facilitator_id)
    return session.execute(query).scalars().all()


def upcoming_closures(session):
    """Closures of the centre or of a place not yet over (absences are listed with the hours)."""
    return session.execute(
        select(Closure).where(Closure.end_date >= centre_today(), Closure.facilitator_id.is_(None))
        .options(selectinload(Closure.location)).order_by(Closure.start_date)
    ).scalars().all()


def overlapping_rule(session, values, rule_id=None):
    """Another active opening of the same facilitator at the same time of the same weekday, if any.

    One person cannot hold two desks at once; openings without a facilitator may overlap.
    """
    if not values.facilitator_id:
        return None
    query = select(OpeningRule).where(
        OpeningRule.active.is_(True),
        OpeningRule.facilitator_id == values.facilitator_id,
        OpeningRule.weekday == values.weekday,
        OpeningRule.start_time < values.end_time,
        OpeningRule.end_time > values.start_time,
        (OpeningRule.valid_until.is_(None)) | (OpeningRule.valid_until >= values.valid_from),
    )
    if values.valid_until:
        query = query.where(OpeningRule.valid_from <= values.valid_until)
    if rule_id is not None:
        query = query.where(OpeningRule.id != rule_id)
    return session.execute(query.order_by(OpeningRule.start_time).limit(1)).scalar()


def bookings_to_call(session, booking_ids):
    """These bookings with their slot, place and topic, by appointment: the residents to call."""
    if not booking_ids:
        return []
    return session.execute(
        select(Booking).where(Booking.id.in_(booking_ids))
        .options(selectinload(Booking.slot).selectinload(Slot.location), selectinload(Booking.topic))
        .join(Slot, Booking.slot_id == Slot.id).order_by(Slot.starts_at, Booking.id)
    ).scalars().all()


# --- opening hours ---------------------------------------------------------------------------

def _apply_values(session, rule, values):
    """Copy the values into the rule; return the names of the fields that changed."""
    topics = session.execute(select(Topic).where(Topic.id.in_(values.topic_ids))).scalars().all()
    wanted = {
        "weekday": values.weekday, "start_time": values.start_time, "end_time": values.end_time,
        "slot_length": values.slot_length, "capacity": values.capacity,
        # A title belongs to workshops (several seats) only.
        "workshop_title": (values.workshop_title or None) if values.capacity > 1 else None,
        "facilitator_id": values.facilitator_id, "location_id": values.location_id,
        "valid_from": values.valid_from, "valid_until": values.valid_until,
    }
    changed = [name for name, value in wanted.items() if getattr(rule, name, None) != value]
    for name in changed:
        setattr(rule, name, wanted[name])
    if {topic.id for topic in rule.topics} != {topic.id for topic in topics}:
        rule.topics = sorted(topics, key=lambda topic: (topic.position, topic.id))
        changed.append("topics")
    return changed


def save_rule(session, rule, values):
    """Save a new or changed opening rule, audit it, resync the slots and commit.

    The check for an overlap (`overlapping_rule`) is the screen's, before: it tells the person.
    """
    is_new = rule.id is None
    with session.no_autoflush:
        changed = _apply_values(session, rule, values)
    if not changed and not is_new:
        return Resync()
    if is_new:
        rule.active = True
        session.add(rule)
    session.flush()
    audit.record("settings.opening_rule_add" if is_new else "settings.opening_rule_edit", rule,
                 fields=sorted(changed))
    rule_id = rule.id
    return resync(session, lambda slot: slot.rule_id == rule_id, REASON_HOURS)


def set_rule_active(session, rule, active):
    """Deactivate an opening rule (its future slots go) or reactivate it, and commit."""
    if rule.active == active:
        return Resync()
    rule.active = active
    audit.record("settings.opening_rule_activate" if active else "settings.opening_rule_deactivate", rule)
    rule_id = rule.id
    if active:
        _reopen(session, Slot.rule_id == rule_id)
    return resync(session, lambda slot: slot.rule_id == rule_id, REASON_HOURS)


# --- absences --------------------------------------------------------------------------------

def add_absence(session, facilitator_id, start_date, end_date, reason=""):
    """Record a facilitator's absence (their slots on those days go, with their bookings) and commit."""
    absence = Closure(start_date=start_date, end_date=end_date, reason=reason or "",
                      facilitator_id=facilitator_id)
    session.add(absence)
    session.flush()
    audit.record("settings.absence_add", absence, facilitator_id=facilitator_id)
    tz = centre_timezone()

    def affected(slot):
        return (slot.facilitator_id == facilitator_id
                and start_date <= slot.starts_at.astimezone(tz).date() <= end_date)

    return resync(session, affected, REASON_ABSENCE)


def remove_absence(session, absence):
    """Remove an absence and commit; the facilitator's slots of those days are offered again."""
    tz = centre_timezone()
    # An absence written before dates were checked may run to the year 9999 (or start in year 1),
    # where the day after, or midnight in UTC, does not exist; no slot lies outside the calendar.
    start, end = max(absence.start_date, EARLIEST_DATE), min(absence.end_date, LATEST_DATE)
    facilitator_id = absence.facilitator_id
    audit.record("settings.absence_delete", absence, facilitator_id=facilitator_id)
    session.delete(absence)
    _reopen(session, Slot.facilitator_id == facilitator_id,
            Slot.starts_at >= datetime.combine(start, time(), tz),
            Slot.starts_at < datetime.combine(end + timedelta(days=1), time(), tz))
    return resync(session, lambda slot: False, REASON_ABSENCE)


# --- closures of the centre or of a place ---------------------------------------------------

def add_closure(session, start_date, end_date, reason, location_id=None):
    """Close the whole centre (or one place) on those days and commit; booked slots are kept
    and reported, for staff to call their residents."""
    closure = Closure(start_date=start_date, end_date=end_date, reason=reason.strip(), location_id=location_id)
    session.add(closure)
    session.flush()
    audit.record("settings.closure_add", closure)
    return resync(session)


def remove_closure(session, closure):
    """Lift a closure and commit; its slots are offered again."""
    audit.record("settings.closure_delete", closure)
    session.delete(closure)
    return resync(session)


def add_public_holidays(session, year):
    """Close the whole centre on each French public holiday of the year not yet closed, and
    commit with the slots it takes away; return the closures added and the resync."""
    whole_centre = [
        closure_spec(closure)
        for closure in load_closures(session, date(year, 1, 1), date(year, 12, 31))
        if closure.location_id is None and closure.facilitator_id is None
    ]
    created = [
        Closure(start_date=day, end_date=day, reason=name)
        for day, name in french_public_holidays(year)
        if not any(closure.closes(day, None) for closure in whole_centre)
    ]
    session.add_all(created)
    session.flush()
    for closure in created:
        audit.record("settings.closure_add", closure)
    return created, resync(session)


# --- the slots -------------------------------------------------------------------------------

def generate_for_horizon(session, weeks=None):
    """Sync the slots from today to the end of the booking horizon (the coordinator's, unless
    `weeks` is given); flush and return (first day, last day, sync report). The caller commits,
    with the change that called for it."""
    start, end = horizon(centre_today(), weeks or booking_rules(session).horizon_weeks)
    return start, end, sync_slots(session, start, end, centre_timezone())


def _reopen(session, *where):
    """Let the next sync offer again the empty slots that an absence or a deactivation took away."""
    session.execute(
        update(Slot)
        .where(Slot.rule_id.is_not(None), Slot.cancelled.is_(True), Slot.seats_taken == 0,
               Slot.starts_at > utcnow(), *where)
        .values(cancelled=False, offered=False)
        .execution_options(synchronize_session=False)
    )


def resync(session, affected=None, reason=None):
    """Sync the slots and commit them with the change that called for it.

    The bookings on slots no longer offered are cancelled when `affected(slot)` says the change
    is about them (an absence, the rule's own hours): their residents are told in their own
    language, and the screen lists them for staff to call. Other booked slots are kept, not
    offered, and reported (a closure over booked days: staff decide).
    """
    _, _, report = generate_for_horizon(session)
    outcome = Resync()
    for slot in report.kept_booked:
        if affected is None or not affected(slot):
            outcome.kept_booked.append(slot)
            continue
        bookings = session.execute(
            select(Booking).where(Booking.slot_id == slot.id, Booking.status.in_(EXPECTED))
        ).scalars().all()
        for booking in bookings:
            with force_locale(booking.language):
                text = str(reason)
            if reservations.cancel_for_removed_slot(session, booking, reason=text) is not None:
                outcome.cancelled.append(booking.id)
    if outcome.cancelled:
        # The emptied slots are retired now that nobody holds a seat on them.
        generate_for_horizon(session)
    session.commit()
    return outcome
