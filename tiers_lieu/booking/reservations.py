"""Taking, moving and cancelling seats: the only code that changes `Slot.seats_taken`.

A seat is taken by one conditional UPDATE (`seats_taken < capacity`) in the same transaction as
the booking row, and the database's CHECK constraint backs it: whatever the number of concurrent
requests and workers, a slot never holds more people than it has seats (DESIGN.md §4).
"""
import enum
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from .. import audit
from ..database import insert_now, utcnow
from ..notify import service as outbox
from ..notify.models import OutboxMessage
from . import callbacks, messages, offers
from .availability import Window, booking_rules
from .codes import hash_token, new_code, new_request_key, token_for
from .models import EXPECTED, Booking, BookingStatus, SeatOffer, Slot, Topic, slot_topic



class Refusal(enum.Enum):
    """Why a booking, a move or a cancellation was refused; the views say it in plain words."""

    SLOT_GONE = "slot_gone"          # unknown, cancelled or already started
    TOO_SOON = "too_soon"            # inside the minimum notice
    TOO_FAR = "too_far"              # beyond the booking horizon
    WRONG_TOPIC = "wrong_topic"      # the slot does not serve this topic
    FULL = "full"                    # the last seat was just taken
    TOO_MANY = "too_many"            # the contact already has the maximum of active bookings
    TOO_LATE_TO_CHANGE = "too_late"  # past the deadline for cancelling or moving
    NOT_ACTIVE = "not_active"        # the booking is already cancelled, seen or missed
    NOT_OVER = "not_over"            # details are erased only once the appointment is over or cancelled
    NO_REMINDER_WAY = "no_reminder"  # a reminder asked for with no e-mail nor number it can go to

    @property
    def message(self):
        return REFUSAL_MESSAGES[self]


# What residents and staff are told, in plain words, for each refusal.
REFUSAL_MESSAGES = {
    Refusal.SLOT_GONE: _l("This slot is no longer available."),
    Refusal.TOO_SOON: _l("This slot starts too soon to be booked online. Call the centre, or choose a later slot."),
    Refusal.TOO_FAR: _l("This slot is too far ahead to be booked yet. Choose an earlier slot, or come back later."),
    Refusal.WRONG_TOPIC: _l("This slot is not for this topic. Choose one of the slots below."),
    Refusal.FULL: _l("Sorry, this slot was just taken by someone else. Here are the next free slots."),
    Refusal.TOO_MANY: _l("You already have the maximum number of upcoming appointments. Cancel one of them "
                        "first, or call the centre."),
    Refusal.TOO_LATE_TO_CHANGE: _l("It is too late to change this appointment online. Please call the centre."),
    Refusal.NOT_ACTIVE: _l("This appointment is no longer active, so it cannot be changed."),
    Refusal.NOT_OVER: _l("Your appointment is still to come, so your details are still needed. You can delete "
                         "them once it has taken place, or after cancelling it."),
    Refusal.NO_REMINDER_WAY: _l("We cannot send you a reminder: this appointment has no e-mail address or mobile "
                                "number we can write to. Call the centre to add one."),
}


class BookingRefused(Exception):
    def __init__(self, reason, slot=None):
        super().__init__(reason.value)
        self.reason = reason
        self.slot = slot


@dataclass
class Contact:
    first_name: str
    phone: Optional[str] = None  # E.164
    email: Optional[str] = None
    note: Optional[str] = None
    reminder_consent: bool = False
    language: str = "fr"


# A booking is the busiest write of the site, and building a statement and its cache key, and
# the ORM's plumbing, cost more than SQLite takes to run it: its statements are built once per
# process, with bound parameters, and those that need no ORM object run on the tables.
SLOTS, BOOKINGS = Slot.__table__, Booking.__table__

TAKE_SEAT = (
    update(SLOTS)
    .where(SLOTS.c.id == bindparam("slot_id"), SLOTS.c.cancelled.is_(False), SLOTS.c.offered.is_(True),
           SLOTS.c.seats_taken < SLOTS.c.capacity)
    .values(seats_taken=SLOTS.c.seats_taken + 1)
)


def take_seat(session, slot_id):
    """Take one seat on the slot if one is free; say whether it was taken."""
    return session.execute(TAKE_SEAT, {"slot_id": slot_id}).rowcount == 1


def release_seat(session, slot_id):
    session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.seats_taken > 0)
        .values(seats_taken=Slot.seats_taken - 1)
        .execution_options(synchronize_session=False)
    )


@cache
def slot_statement():
    # Built at first use, once the mappers are configured. Joined by hand: SQLite scans the whole
    # slot_topic table for the nested join that joinedload() writes.
    return (
        select(Slot)
        .outerjoin(slot_topic, slot_topic.c.slot_id == Slot.id)
        .outerjoin(Topic, Topic.id == slot_topic.c.topic_id)
        .options(contains_eager(Slot.topics), joinedload(Slot.location))
        .where(Slot.id == bindparam("slot_id"))
        .order_by(Topic.position)
    )


def load_slot(session, slot_id):
    """The slot with its place and topics, which booking and its message both need, in one query."""
    return session.execute(slot_statement(), {"slot_id": slot_id}).unique().scalar_one_or_none()


def check_bookable(session, slot, topic_id, rules, now):
    """Raise BookingRefused unless a resident may book this slot for this topic now."""
    if slot is None or slot.cancelled or not slot.offered or slot.starts_at <= now:
        raise BookingRefused(Refusal.SLOT_GONE, slot)
    window = Window.for_rules(rules, now)
    if slot.starts_at < window.earliest:
        raise BookingRefused(Refusal.TOO_SOON, slot)
    if slot.starts_at > window.latest:
        raise BookingRefused(Refusal.TOO_FAR, slot)
    if topic_id not in {topic.id for topic in slot.topics}:
        raise BookingRefused(Refusal.WRONG_TOPIC, slot)
    if slot.seats_taken >= slot.capacity:
        raise BookingRefused(Refusal.FULL, slot)


def find_by_request_key(session, request_key):
    return session.execute(select(Booking).where(Booking.request_key == request_key)).scalar_one_or_none()


# A missing phone number or e-mail address (NULL) matches no booking.
BEFORE_BOOKING = select(
    select(BOOKINGS.c.id).where(BOOKINGS.c.request_key == bindparam("request_key")).scalar_subquery(),
    select(func.count(BOOKINGS.c.id))
    .select_from(BOOKINGS.join(SLOTS, BOOKINGS.c.slot_id == SLOTS.c.id))
    .where(BOOKINGS.c.status.in_(EXPECTED), SLOTS.c.starts_at > bindparam("now"),
           or_(BOOKINGS.c.phone == bindparam("phone"), BOOKINGS.c.email == bindparam("email")))
    .scalar_subquery(),
    exists().where(BOOKINGS.c.code == bindparam("code")),
)


def before_booking(session, request_key, contact, now, code):
    """What booking must know first, in one round trip: the id of the booking already made with
    this form (or None), how many upcoming bookings hold a seat under the contact's phone number
    or e-mail address, and whether `code` is already used."""
    return session.execute(BEFORE_BOOKING, {
        "request_key": request_key, "now": now, "phone": contact.phone, "email": contact.email, "code": code,
    }).one()


def book(session, *, slot, topic_id, contact, rules, now=None, request_key=None, booked_by_id=None,
         resident_id=None, commit=True):
    """Book a seat on the slot (from `load_slot`) for the resident and queue their confirmation;
    return (booking, token).

    The same request_key (one form, clicked twice) returns the booking made the first time.
    Staff booking for someone pass who they are (booked_by_id) and the resident, when known.
    With commit=False the caller adds what goes with the booking (its audit record) and commits.
    """
    now = now or utcnow()
    request_key = request_key or new_request_key()
    code = new_code()
    existing_id, active, code_used = before_booking(session, request_key, contact, now, code)
    if existing_id is not None:
        return session.get(Booking, existing_id), token_for(request_key)

    # A slot already full when the view loaded it was filled before `before_booking` looked: had
    # this form filled it, that look would have found the booking.
    check_bookable(session, slot, topic_id, rules, now)
    if active >= rules.max_active_per_contact:
        raise BookingRefused(Refusal.TOO_MANY, slot)
    if not take_seat(session, slot.id):
        session.rollback()
        # The seat may have gone to this very form, clicked again while its first request was
        # still booking: `before_booking` ran before that booking was committed, so it could not
        # see it. The UPDATE that found no seat waited for the transaction holding it (PostgreSQL
        # waits on the slot's row lock, SQLite on its one writer's lock), so that booking is
        # committed by now and this second look finds it. Only refusals pay for it: on a
        # one-seat slot, ten clicks of one form used to tell one or two of them "taken".
        existing = find_by_request_key(session, request_key)
        if existing is not None:
            return existing, token_for(request_key)
        raise BookingRefused(Refusal.FULL, slot)

    token = token_for(request_key)
    if code_used:
        code = unused_code(session)
    try:
        booking = insert_now(
            session, Booking, slot_id=slot.id, topic_id=topic_id, code=code, token_hash=hash_token(token),
            first_name=contact.first_name, phone=contact.phone, email=contact.email, note=contact.note,
            reminder_consent=contact.reminder_consent, language=contact.language,
            status=BookingStatus.BOOKED.value, request_key=request_key, booked_by_id=booked_by_id,
            resident_id=resident_id,
        )
    except IntegrityError:
        # The same form, sent twice at the same instant: the other request booked it.
        session.rollback()
        existing = find_by_request_key(session, request_key)
        if existing is None:
            raise
        return existing, token
    messages.queue_for(session, booking, messages.Kind.CONFIRMATION)
    if commit:
        session.commit()
    return booking, token


def unused_code(session):
    while True:
        code = new_code()
        if session.execute(select(Booking.id).where(Booking.code == code)).first() is None:
            return code


def check_changeable(booking, rules, now):
    if booking.status != BookingStatus.BOOKED.value:
        raise BookingRefused(Refusal.NOT_ACTIVE, booking.slot)
    deadline = booking.slot.starts_at - timedelta(minutes=rules.change_deadline_minutes)
    if now >= deadline:
        raise BookingRefused(Refusal.TOO_LATE_TO_CHANGE, booking.slot)


def cancel(session, booking, *, rules, by_centre=False, by_staff=False, reason=None, now=None):
    """Cancel the booking and free its seat at once; a second click changes nothing.

    Staff may cancel at any time, for the resident or for the centre, with a reason told to the
    resident in the message.
    """
    now = now or utcnow()
    if not (by_centre or by_staff):
        check_changeable(booking, rules, now)
    status = BookingStatus.CANCELLED_BY_CENTRE if by_centre else BookingStatus.CANCELLED_BY_RESIDENT
    result = session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.status.in_(EXPECTED))
        .values(status=status.value, cancelled_at=now, updated_at=now,
                cancel_reason=reason or None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        raise BookingRefused(Refusal.NOT_ACTIVE, booking.slot)
    release_seat(session, booking.slot_id)
    session.refresh(booking)
    offers.seat_freed(session, booking.slot, rules, now)
    outbox.withdraw_pending(session, messages.reminder_key(booking))  # never "see you tomorrow" after this
    messages.queue_for(session, booking,
                       messages.Kind.CANCELLED_BY_CENTRE if by_centre else messages.Kind.CANCELLATION)
    if by_centre or by_staff:
        audit.record("booking.cancel_by_centre" if by_centre else "booking.cancel_for_resident", booking)
    session.commit()
    return booking


def move(session, booking, new_slot_id, *, rules, now=None):
    """Move the booking to another slot of its topic: both seats change in one transaction."""
    now = now or utcnow()
    check_changeable(booking, rules, now)
    new_slot = load_slot(session, new_slot_id)
    if new_slot is not None and new_slot.id == booking.slot_id:
        return booking
    check_bookable(session, new_slot, booking.topic_id, rules, now)
    old_slot_id, old_reminder = booking.slot_id, messages.reminder_key(booking)
    if not take_seat(session, new_slot.id):
        session.rollback()
        raise BookingRefused(Refusal.FULL, new_slot)
    result = session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.slot_id == old_slot_id,
               Booking.status == BookingStatus.BOOKED.value)
        .values(slot_id=new_slot.id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        # Cancelled or moved meanwhile (another tab): give the new seat back.
        session.rollback()
        raise BookingRefused(Refusal.NOT_ACTIVE, booking.slot)
    release_seat(session, old_slot_id)
    outbox.withdraw_pending(session, old_reminder)  # the day it tells of is no longer the booking's
    session.expire_all()
    offers.seat_freed(session, load_slot(session, old_slot_id), rules, now)
    booking = session.get(Booking, booking.id)
    messages.queue_for(session, booking, messages.Kind.CHANGE)
    session.commit()
    return booking


def reminder_settable(booking, now):
    """Whether the resident may still turn the booking's reminder off or on: until it starts."""
    return booking.status == BookingStatus.BOOKED.value and booking.slot.starts_at > now


def set_reminder(session, booking, wanted, *, now=None):
    """Turn the reminder the day before on or off, from the booking's own page: consent given with
    the booking is withdrawn as easily. A reminder already queued and not yet sent is withdrawn
    with it, and queued again if the resident changes their mind; a second click changes nothing."""
    now = now or utcnow()
    if not reminder_settable(booking, now):
        raise BookingRefused(Refusal.NOT_ACTIVE, booking.slot)
    if wanted and messages.reminder_channel(booking) is None:
        raise BookingRefused(Refusal.NO_REMINDER_WAY, booking.slot)
    result = session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.status == BookingStatus.BOOKED.value)
        .values(reminder_consent=wanted, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        raise BookingRefused(Refusal.NOT_ACTIVE, booking.slot)
    key = messages.reminder_key(booking)
    if wanted:
        outbox.restore_withdrawn(session, key)
    else:
        outbox.withdraw_pending(session, key)
    session.commit()
    session.refresh(booking)
    return booking


def find_by_token(session, token):
    if not token or len(token) > 100:
        return None
    return session.execute(select(Booking).where(Booking.token_hash == hash_token(token))).scalar_one_or_none()


def find_by_code(session, code, contact_phone=None, contact_email=None):
    """The booking with this code, if the phone number or e-mail given is the one used."""
    if not code or not (contact_phone or contact_email):
        return None
    booking = session.execute(select(Booking).where(Booking.code == code)).scalar_one_or_none()
    if booking is None:
        return None
    if (contact_phone and booking.phone == contact_phone) or (contact_email and booking.email == contact_email):
        return booking
    return None


def cancel_for_removed_slot(session, booking, *, reason, now=None):
    """Cancel, on the centre's side, a booking whose slot the opening hours no longer offer.

    The seat is given back and the resident is told why, in their language. Return the booking,
    or None when it was no longer active (a colleague or the resident cancelled it meanwhile).
    Part of the change of opening hours that caused it: the caller commits both at once.
    """
    now = now or utcnow()
    result = session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.status.in_(EXPECTED))
        .values(status=BookingStatus.CANCELLED_BY_CENTRE.value, cancelled_at=now, updated_at=now,
                cancel_reason=reason[:160])
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None  # the UPDATE changed nothing: the rest of the transaction stands
    release_seat(session, booking.slot_id)
    session.refresh(booking)
    outbox.withdraw_pending(session, messages.reminder_key(booking))
    messages.queue_for(session, booking, messages.Kind.CANCELLED_BY_CENTRE)
    audit.record("booking.cancel_by_centre", booking, slot_id=booking.slot_id, cause="opening_hours")
    return booking


def cancel_for_erasure(session, ids, now):
    """Cancel, at the resident's request to be erased, those of these bookings still to come: each
    seat is freed (and offered to the waiting list), and no message is sent to the person, since
    the details to send it to are about to go. Part of the erasure's transaction: the caller commits.
    Returns the ids cancelled."""
    rules = booking_rules(session)
    upcoming = session.execute(
        select(Booking.id, Booking.slot_id, Booking.topic_id).join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.id.in_(ids), Booking.status.in_(EXPECTED), Slot.starts_at > now)).all()
    cancelled = []
    for booking_id, slot_id, topic_id in upcoming:
        result = session.execute(
            update(Booking).where(Booking.id == booking_id, Booking.status.in_(EXPECTED))
            .values(status=BookingStatus.CANCELLED_BY_RESIDENT.value, cancelled_at=now, updated_at=now)
            .execution_options(synchronize_session=False))
        if result.rowcount == 1:
            release_seat(session, slot_id)
            offers.seat_freed(session, load_slot(session, slot_id), rules, now)
            cancelled.append(booking_id)
    return cancelled


def anonymise(session, ids, now):
    """Empty the contact details, note and secret link of these bookings, and their link to a resident's
    record (retention and erasure, `privacy/`). The status, slot, topic and dates stay for the statistics.
    A booking already anonymised is left as it is; returns how many were anonymised now."""
    return session.execute(
        update(Booking).where(Booking.id.in_(ids), Booking.anonymised_at.is_(None))
        .values(first_name="", phone=None, email=None, note=None, token_hash=None, request_key=None,
                resident_id=None, anonymised_at=now)
        .execution_options(synchronize_session=False)).rowcount


def erasable_by_resident(booking, now):
    """Whether the resident may erase their own details from this booking: once it is cancelled,
    or once its slot has ended. Before that, the desk needs them to welcome and reach the person."""
    return booking.is_cancelled or booking.slot_ends_at <= now


def erase_own_details(session, booking, now=None):
    """Anonymise the booking and its messages at its resident's request (right to erasure), in one
    transaction; raise BookingRefused (NOT_OVER) while the appointment is still to come.

    Its secret link and its code stop working: the link's hash and the form's key go, and the code
    matches no phone number or e-mail address any more. A message not sent yet (a reminder, a
    change) is withdrawn by `notify.service.anonymise`, so `flask notify send` never picks it up.
    The status, slot, topic and dates stay for the statistics.
    """
    now = now or utcnow()
    if not erasable_by_resident(booking, now):
        raise BookingRefused(Refusal.NOT_OVER, booking.slot)
    message_ids = session.scalars(select(OutboxMessage.id).where(OutboxMessage.booking_id == booking.id)).all()
    anonymise(session, [booking.id], now)
    outbox.anonymise(session, message_ids, now)
    session.commit()


def book_from_offer(session, found, slot_id, rules, now):
    """Book the offered seat, or another fitting slot of the request, with the request's contact;
    return (booking, token). The same link tapped twice returns the booking made the first time.
    Raises BookingRefused as the booking form would (seat taken, too many bookings…)."""
    offer, request = found.offer, found.offer.request
    if found.state is offers.OfferState.TAKEN_BY_YOU:
        booking = session.get(Booking, offer.booking_id)
        return booking, token_for(booking.request_key)
    if found.state is offers.OfferState.ENDED:
        raise BookingRefused(Refusal.SLOT_GONE)
    slot = load_slot(session, slot_id)
    if slot is None or (slot.id != offer.slot_id and slot.id not in {
            fitting.id for fitting in offers.fitting_slots(session, request, rules, now, limit=50)}):
        raise BookingRefused(Refusal.SLOT_GONE, slot)
    contact = Contact(first_name=request.first_name, phone=request.phone, email=request.email,
                      language=request.language)
    booking, token = book(session, slot=slot, topic_id=request.topic_id, contact=contact, rules=rules, now=now,
                          request_key=f"offer-{offer.id}", commit=False)
    session.execute(update(SeatOffer).where(SeatOffer.id == offer.id, SeatOffer.booking_id.is_(None))
                    .values(taken_at=now, booking_id=booking.id).execution_options(synchronize_session=False))
    callbacks.end(session, request.id, "booked", now)
    session.commit()
    return booking, token
