"""Opening hours and absences: saving them, and bringing the slots in line afterwards.

Shared by the coordinators' page (/admin/hours) and the facilitators' own (/desk/hours).
Each operation is one transaction: the change, its audit record, the slots that follow and the
bookings cancelled with their messages are committed together by `resync`, or not at all.
"""
from datetime import datetime, time, timedelta

from flask import session as browser_session
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from .. import audit
from ..accounts.models import User
from ..booking import reservations
from ..core.centre import centre_timezone
from ..booking.cli import generate_for_horizon
from ..booking.models import Booking, Closure, Location, OpeningRule, Slot, Topic
from ..core.inputs import EARLIEST_DATE, LATEST_DATE
from ..database import utcnow
from ..extensions import db

REASON_ABSENCE = _l("the facilitator is absent that day")
REASON_HOURS = _l("the opening hours changed")
RULE_FIELDS = ("weekday", "start_time", "end_time", "slot_length", "capacity", "workshop_title",
               "facilitator_id", "location_id", "valid_from", "valid_until")


def active_topics():
    return db.session.execute(select(Topic).where(Topic.active.is_(True))
                              .order_by(Topic.position, Topic.id)).scalars().all()


def active_locations():
    return db.session.execute(select(Location).where(Location.active.is_(True))
                              .order_by(Location.position, Location.id)).scalars().all()


def active_staff():
    return db.session.execute(select(User).where(User.active.is_(True))
                              .order_by(User.display_name)).scalars().all()


def fill_rule_choices(form, rule=None, facilitators=None):
    """Offer the active topics and places (and those the rule already uses) and the staff."""
    topics = active_topics()
    locations = active_locations()
    if rule is not None:
        topics += [topic for topic in rule.topics if topic not in topics]
        if rule.location not in locations:
            locations.append(rule.location)
    form.topics.choices = [(topic.id, topic.name) for topic in topics]
    form.location.choices = [(location.id, location.name) for location in locations]
    if facilitators is not None:
        form.facilitator.choices = [(0, _l("Nobody in particular"))] + [
            (user.id, user.display_name) for user in facilitators]


def rules_of(facilitator_id=None):
    """Opening rules, by weekday and time; only one facilitator's when given."""
    query = (select(OpeningRule)
             .options(selectinload(OpeningRule.topics), selectinload(OpeningRule.location),
                      selectinload(OpeningRule.facilitator))
             .order_by(OpeningRule.active.desc(), OpeningRule.weekday, OpeningRule.start_time, OpeningRule.id))
    if facilitator_id is not None:
        query = query.where(OpeningRule.facilitator_id == facilitator_id)
    return db.session.execute(query).scalars().all()


def form_to_rule(form, rule, facilitator_id):
    """Copy the form into the rule; return the names of the fields that changed."""
    topics = db.session.execute(select(Topic).where(Topic.id.in_(form.topics.data))).scalars().all()
    wanted = {
        "weekday": form.weekday.data, "start_time": form.start_time.data, "end_time": form.end_time.data,
        "slot_length": form.slot_length.data, "capacity": form.capacity.data,
        "workshop_title": (form.workshop_title.data or None) if form.capacity.data > 1 else None,
        "facilitator_id": facilitator_id, "location_id": form.location.data,
        "valid_from": form.valid_from.data, "valid_until": form.valid_until.data,
    }
    changed = [name for name, value in wanted.items() if getattr(rule, name, None) != value]
    for name in changed:
        setattr(rule, name, wanted[name])
    if {topic.id for topic in rule.topics} != {topic.id for topic in topics}:
        rule.topics = sorted(topics, key=lambda topic: (topic.position, topic.id))
        changed.append("topics")
    return changed


def overlapping_rule(rule, form, facilitator_id):
    """Another active opening of the same facilitator at the same time of the same weekday, if any.

    One person cannot hold two desks at once; openings without a facilitator may overlap.
    """
    if not facilitator_id:
        return None
    query = select(OpeningRule).where(
        OpeningRule.active.is_(True),
        OpeningRule.facilitator_id == facilitator_id,
        OpeningRule.weekday == form.weekday.data,
        OpeningRule.start_time < form.end_time.data,
        OpeningRule.end_time > form.start_time.data,
        (OpeningRule.valid_until.is_(None)) | (OpeningRule.valid_until >= form.valid_from.data),
    )
    if form.valid_until.data:
        query = query.where(OpeningRule.valid_from <= form.valid_until.data)
    if rule.id is not None:
        query = query.where(OpeningRule.id != rule.id)
    return db.session.execute(query.order_by(OpeningRule.start_time).limit(1)).scalar()


def check_overlap(rule, form, facilitator_id):
    """Put an error on the form when the opening clashes with another; say whether it is free."""
    other = overlapping_rule(rule, form, facilitator_id)
    if other is None:
        return True
    form.start_time.errors = [*form.start_time.errors, _l(
        "This facilitator already has opening hours from %(start)s to %(end)s that day. "
        "Change the times, or deactivate the other opening first.",
        start=other.start_time.strftime("%H:%M"), end=other.end_time.strftime("%H:%M"))]
    return False


def save_rule(rule, form, facilitator_id):
    """Save the opening rule from the form, audit it, resync and commit; return the cancelled bookings."""
    is_new = rule.id is None
    with db.session.no_autoflush:
        changed = form_to_rule(form, rule, facilitator_id)
    if not changed and not is_new:
        return []
    if is_new:
        rule.active = True
        db.session.add(rule)
    db.session.flush()
    audit.record("settings.opening_rule_add" if is_new else "settings.opening_rule_edit", rule,
                 fields=sorted(changed))
    rule_id = rule.id
    return resync(lambda slot: slot.rule_id == rule_id, REASON_HOURS)


def set_rule_active(rule, active):
    """Deactivate (its future slots go) or reactivate an opening rule, and commit; return the
    cancelled bookings."""
    if rule.active == active:
        return []
    rule.active = active
    audit.record("settings.opening_rule_activate" if active else "settings.opening_rule_deactivate", rule)
    rule_id = rule.id
    if active:
        reopen(Slot.rule_id == rule_id)
    return resync(lambda slot: slot.rule_id == rule_id, REASON_HOURS)


def add_absence(facilitator_id, start_date, end_date, reason):
    """Record a facilitator's absence (their slots on those days go) and commit; return the
    cancelled bookings."""
    absence = Closure(start_date=start_date, end_date=end_date, reason=reason or "",
                      facilitator_id=facilitator_id)
    db.session.add(absence)
    db.session.flush()
    audit.record("settings.absence_add", absence, facilitator_id=facilitator_id)
    tz = centre_timezone()

    def affected(slot):
        return (slot.facilitator_id == facilitator_id
                and start_date <= slot.starts_at.astimezone(tz).date() <= end_date)

    return resync(affected, REASON_ABSENCE)


def remove_absence(absence):
    """Remove an absence and commit; the facilitator's slots of those days are offered again."""
    tz = centre_timezone()
    # An absence written before dates were checked may run to the year 9999 (or start in year 1),
    # where the day after, or midnight in UTC, does not exist; no slot lies outside the calendar.
    start, end = max(absence.start_date, EARLIEST_DATE), min(absence.end_date, LATEST_DATE)
    facilitator_id = absence.facilitator_id
    audit.record("settings.absence_delete", absence, facilitator_id=facilitator_id)
    db.session.delete(absence)
    reopen(Slot.facilitator_id == facilitator_id,
           Slot.starts_at >= datetime.combine(start, time(), tz),
           Slot.starts_at < datetime.combine(end + timedelta(days=1), time(), tz))
    resync(lambda slot: False, REASON_ABSENCE)


def reopen(*where):
    """Let the next sync offer again the empty slots that an absence or a deactivation took away."""
    db.session.execute(
        update(Slot)
        .where(Slot.rule_id.is_not(None), Slot.cancelled.is_(True), Slot.seats_taken == 0,
               Slot.starts_at > utcnow(), *where)
        .values(cancelled=False, offered=False)
        .execution_options(synchronize_session=False)
    )


def resync(affected, reason):
    """Sync the slots, cancel the bookings on the affected slots no longer offered, and commit
    it all with the change that called for it; return the cancelled bookings.

    The residents are told in their own language and listed for staff to call.
    """
    _, _, report = generate_for_horizon()
    cancelled = []
    for slot in report.kept_booked:
        if not affected(slot):
            continue
        bookings = db.session.execute(
            select(Booking).where(Booking.slot_id == slot.id, Booking.status.in_(reservations.ACTIVE_STATUSES))
        ).scalars().all()
        for booking in bookings:
            with force_locale(booking.language):
                text = str(reason)
            if reservations.cancel_for_removed_slot(db.session, booking, reason=text) is not None:
                cancelled.append(booking.id)
    if cancelled:
        # The emptied slots are retired now that nobody holds a seat on them.
        generate_for_horizon()
    db.session.commit()
    if cancelled:
        remember_calls(cancelled)
    return cancelled


CALLS_KEY = "calls_to_make"


def remember_calls(booking_ids):
    """Keep the cancelled bookings' ids (never their contact) for the list of calls to make."""
    browser_session[CALLS_KEY] = (browser_session.get(CALLS_KEY, []) + booking_ids)[-200:]


def calls_to_make():
    """The bookings cancelled by the last changes, with their slot: staff call these residents."""
    ids = [int(value) for value in browser_session.get(CALLS_KEY, []) if str(value).isdigit()]
    if not ids:
        return []
    return db.session.execute(
        select(Booking).where(Booking.id.in_(ids))
        .options(selectinload(Booking.slot).selectinload(Slot.location), selectinload(Booking.topic))
        .join(Slot, Booking.slot_id == Slot.id).order_by(Slot.starts_at, Booking.id)
    ).scalars().all()


def forget_calls():
    browser_session.pop(CALLS_KEY, None)
