"""The desk's day: the slots of a local date with their bookings, check-in, no-show, cancellation.

Plain functions taking a session. Status changes are conditional UPDATEs (`WHERE status = …`), so
that two facilitators clicking at the same time change a booking once; seats move only through
`booking.reservations`.
"""
import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from typing import Optional

from sqlalchemy import and_, bindparam, exists, or_, select, update
from sqlalchemy.orm import aliased, joinedload

from ... import audit
from ...accounts.models import User
from ...booking import reservations
from ...booking.models import (Booking, BookingState, BookingStatus, Location, Seats, Slot, Topic, TopicLabel,
                               slot_topic)
from ...core.inputs import date_from
from ...database import utcnow
from ..models import Attendee, HelpSession, TicketSource
from . import queue

# A day further than this from today is surely a typing mistake.
FARTHEST_DAY = timedelta(days=10 * 366)


class AgendaRefusal(enum.Enum):
    """Why a change of a booking at the desk was refused; the views say it in plain words."""

    NOT_TODAY = "not_today"            # checking in a booking of another day
    CANCELLED = "cancelled"            # the booking is cancelled
    ALREADY_ARRIVED = "already"        # already checked in or seen
    NOT_STARTED = "not_started"        # a no-show before the slot even started
    NOT_EXPECTED = "not_expected"      # no-show of someone who arrived, was seen or cancelled
    NO_SEAT = "no_seat"                # the seat of a no-show was given to someone else meanwhile


class AgendaRefused(Exception):
    def __init__(self, reason):
        super().__init__(reason.value)
        self.reason = reason


def parse_day(text, today):
    """The date asked for in ?day=YYYY-MM-DD, or None when it is malformed or absurd."""
    day = date_from(text)
    if day is None or abs(day - today) > FARTHEST_DAY:
        return None
    return day


def day_bounds(day, tz):
    """The UTC instants where the centre's local day starts and ends (23 or 25 hours on DST days)."""
    start = datetime.combine(day, time(), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def local_day(instant, tz):
    return instant.astimezone(tz).date()


@dataclass(frozen=True)
class AgendaBooking(BookingState):
    """A booking as the day view reads it: plain values, its status rules from `BookingState`."""

    id: int
    slot_id: int
    first_name: str
    status: str
    topic: TopicLabel
    checked_in_at: Optional[datetime]
    note: Optional[str]
    cancel_reason: Optional[str]
    resident_id: Optional[int]
    came_before: bool              # see `_came_before`
    language: str                  # of the resident's messages and pages, shown to staff
    slot_starts_at: datetime
    slot_ends_at: datetime


@dataclass(frozen=True)
class AgendaSlot(Seats):
    id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    seats_taken: int
    cancelled: bool
    workshop_title: Optional[str]
    place: str
    facilitator: Optional[str]     # the facilitator's display name
    topics: tuple                  # TopicLabel, in the coordinator's order
    bookings: tuple                # AgendaBooking: who is expected first, cancelled ones at the end


@dataclass(frozen=True)
class Agenda:
    day: date
    slots: list

    @property
    def bookings(self):
        return [booking for slot in self.slots for booking in slot.bookings]


# The day view is the desk's most shown page, refreshed by every desk screen: it reads plain rows
# (loading the same as ORM objects took most of its time) with statements built once per shape,
# bound parameters and all (building them cost more than running them).

@cache
def _day_slots_statement(by_facilitator, by_place):
    query = (
        select(Slot.id, Slot.starts_at, Slot.ends_at, Slot.capacity, Slot.seats_taken, Slot.cancelled,
               Slot.workshop_title, Location.name.label("place"), User.display_name.label("facilitator"))
        .join(Location, Slot.location_id == Location.id)
        .outerjoin(User, Slot.facilitator_id == User.id)
        .where(Slot.starts_at >= bindparam("start"), Slot.starts_at < bindparam("end"))
        .order_by(Slot.starts_at, Slot.location_id, Slot.id)
    )
    if by_facilitator:
        query = query.where(Slot.facilitator_id == bindparam("facilitator_id"))
    if by_place:
        query = query.where(Slot.location_id == bindparam("location_id"))
    return query


@cache
def _slot_topics_statement():
    return (
        select(slot_topic.c.slot_id, Topic.id, Topic.name_fr, Topic.name_en)
        .join(Topic, slot_topic.c.topic_id == Topic.id)
        .where(slot_topic.c.slot_id.in_(bindparam("slot_ids", expanding=True)))
        .order_by(slot_topic.c.slot_id, Topic.position, Topic.id)
    )


def _came_before():
    """Whether the booking's resident came before: a seen booking (same resident, phone or e-mail)
    on an earlier slot, or a help session logged for the resident on an earlier day."""
    earlier, earlier_slot = aliased(Booking), aliased(Slot)

    def seen_before(*same_person):
        return exists(
            select(earlier.id)
            .join(earlier_slot, earlier.slot_id == earlier_slot.id)
            .where(earlier.status == BookingStatus.SEEN.value, earlier_slot.starts_at < Slot.starts_at,
                   *same_person)
        )

    helped_before = exists(
        select(Attendee.id).join(HelpSession, Attendee.session_id == HelpSession.id)
        .where(Attendee.resident_id == Booking.resident_id, HelpSession.day < bindparam("day"))
    )
    return or_(
        and_(Booking.resident_id.is_not(None),
             or_(seen_before(earlier.resident_id == Booking.resident_id), helped_before)),
        and_(Booking.phone.is_not(None), seen_before(earlier.phone == Booking.phone)),
        and_(Booking.email.is_not(None), seen_before(earlier.email == Booking.email)),
    )


@cache
def _slot_bookings_statement():
    return (
        select(Booking.id, Booking.slot_id, Booking.first_name, Booking.status, Booking.checked_in_at, Booking.note,
               Booking.cancel_reason, Booking.resident_id, Booking.language, Topic.id.label("topic_id"), Topic.name_fr, Topic.name_en,
               _came_before().label("came_before"))
        .join(Slot, Booking.slot_id == Slot.id)
        .join(Topic, Booking.topic_id == Topic.id)
        .where(Booking.slot_id.in_(bindparam("slot_ids", expanding=True)))
        .order_by(Booking.slot_id, Booking.id)
    )


def day_slots(session, day, tz, facilitator_id=None, location_id=None):
    """The day's slots, in order, with their place, facilitator, topics and bookings (3 queries).

    A cancelled slot shows only while bookings remain on it, for staff to see who was told.
    """
    start, end = day_bounds(day, tz)
    statement = _day_slots_statement(bool(facilitator_id), bool(location_id))
    slots = session.execute(statement, {"start": start, "end": end, "facilitator_id": facilitator_id,
                                        "location_id": location_id}).all()
    if not slots:
        return []
    slot_ids = [slot.id for slot in slots]
    labels, topics, bookings = {}, {slot_id: [] for slot_id in slot_ids}, {slot_id: [] for slot_id in slot_ids}

    def label(topic_id, name_fr, name_en):
        known = labels.get(topic_id)
        if known is None:
            known = labels[topic_id] = TopicLabel(topic_id, name_fr, name_en)
        return known

    for slot_id, topic_id, name_fr, name_en in session.execute(_slot_topics_statement(), {"slot_ids": slot_ids}):
        topics[slot_id].append(label(topic_id, name_fr, name_en))
    times = {slot.id: (slot.starts_at, slot.ends_at) for slot in slots}
    for row in session.execute(_slot_bookings_statement(), {"slot_ids": slot_ids, "day": day}):
        starts_at, ends_at = times[row.slot_id]
        bookings[row.slot_id].append(AgendaBooking(
            id=row.id, slot_id=row.slot_id, first_name=row.first_name, status=row.status,
            topic=label(row.topic_id, row.name_fr, row.name_en), checked_in_at=row.checked_in_at, note=row.note,
            cancel_reason=row.cancel_reason, resident_id=row.resident_id, came_before=bool(row.came_before),
            language=row.language, slot_starts_at=starts_at, slot_ends_at=ends_at))
    agenda = []
    for slot in slots:
        # Who is expected first; cancelled ones at the end.
        booked = tuple(sorted(bookings[slot.id], key=lambda booking: (booking.is_cancelled, booking.id)))
        if slot.cancelled and not booked:
            continue
        agenda.append(AgendaSlot(**slot._asdict(), topics=tuple(topics[slot.id]), bookings=booked))
    return agenda


def day_agenda(session, day, tz, facilitator_id=None, location_id=None):
    """The day's slots and bookings as plain rows, each booking saying whether its resident came
    before (3 queries)."""
    return Agenda(day=day, slots=day_slots(session, day, tz, facilitator_id, location_id))


def load_booking(session, booking_id):
    """The booking with its slot and topic, or None."""
    return session.get(Booking, booking_id,
                       options=[joinedload(Booking.slot).joinedload(Slot.location), joinedload(Booking.topic)])


def is_late(booking, rules, now):
    return now > booking.slot.starts_at + timedelta(minutes=rules.late_grace_minutes)


def _set_status(session, booking, from_statuses, **values):
    result = session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.status.in_([status.value for status in from_statuses]))
        .values(updated_at=values.pop("updated_at"), **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def check_in(session, booking, *, rules, tz, now=None):
    """Mark the resident as arrived; return the walk-in ticket of someone too late, else None.

    Only today's bookings that are still expected (or were marked no-show by mistake) check in.
    """
    now = now or utcnow()
    status = booking.status_enum
    if booking.is_cancelled:
        raise AgendaRefused(AgendaRefusal.CANCELLED)
    if not booking.can_check_in:
        raise AgendaRefused(AgendaRefusal.ALREADY_ARRIVED)
    if local_day(booking.slot.starts_at, tz) != local_day(now, tz):
        raise AgendaRefused(AgendaRefusal.NOT_TODAY)
    if status is BookingStatus.NO_SHOW:
        # The no-show gave the seat back: take it again, if nobody else has.
        if not reservations.take_seat(session, booking.slot_id):
            session.rollback()
            raise AgendaRefused(AgendaRefusal.NO_SEAT)
    changed = _set_status(session, booking, (status,), status=BookingStatus.CHECKED_IN.value,
                          checked_in_at=now, updated_at=now)
    if not changed:
        session.rollback()
        raise AgendaRefused(AgendaRefusal.ALREADY_ARRIVED)
    late = is_late(booking, rules, now)
    audit.record("booking.check_in", booking, late=late)
    session.commit()
    ticket = None
    if late:
        # After the check-in's own commit: a clash on the ticket number retries only the ticket.
        ticket = queue.issue(session, day=local_day(now, tz), topic_id=booking.topic_id,
                             first_name=booking.first_name, source=TicketSource.LATE_BOOKING,
                             booking_id=booking.id, resident_id=booking.resident_id, now=now)
    session.refresh(booking)
    return ticket


def mark_no_show(session, booking, *, tz, now=None):
    """Mark a resident who did not come; their seat is given back (no-shows hold no seat)."""
    now = now or utcnow()
    if booking.status_enum is BookingStatus.NO_SHOW:
        return booking
    if booking.is_cancelled:
        raise AgendaRefused(AgendaRefusal.CANCELLED)
    if booking.status_enum is not BookingStatus.BOOKED:
        raise AgendaRefused(AgendaRefusal.NOT_EXPECTED)
    if not booking.can_mark_no_show(now):
        raise AgendaRefused(AgendaRefusal.NOT_STARTED)
    if not _set_status(session, booking, (BookingStatus.BOOKED,), status=BookingStatus.NO_SHOW.value,
                       updated_at=now):
        session.rollback()
        raise AgendaRefused(AgendaRefusal.NOT_EXPECTED)
    reservations.release_seat(session, booking.slot_id)
    audit.record("booking.no_show", booking)
    session.commit()
    session.refresh(booking)
    return booking


def cancel_for_resident(session, booking, *, reason, rules, by_centre=True, now=None):
    """Cancel for the resident, who asked for it, or because of the centre, and tell them why.

    Staff are not bound by the residents' deadline to cancel.
    """
    if booking.is_cancelled:
        raise AgendaRefused(AgendaRefusal.CANCELLED)
    if not booking.is_expected:
        raise AgendaRefused(AgendaRefusal.NOT_EXPECTED)
    try:
        return reservations.cancel(session, booking, rules=rules, by_centre=by_centre, by_staff=True, reason=reason,
                                   now=now)
    except reservations.BookingRefused:
        raise AgendaRefused(AgendaRefusal.CANCELLED) from None

