"""Call-back requests: residents who found no slot and asked the centre to call them.

The one module that changes `CallbackRequest` rows: the public form receives them, the booking
service flags them when a seat of their topic frees up, and the desk marks them handled (by
hand, or by booking for the resident).
"""
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Optional

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from .. import audit
from ..database import utcnow
from .models import CallbackRequest, Location, Slot, Topic, TopicLabel


def receive(session, *, topic_id, first_name, phone, language, moments=(), moments_note=None):
    """Record a resident's request to be called back about a topic, and commit."""
    callback = CallbackRequest(
        topic_id=topic_id, first_name=first_name.strip(), phone=phone, moments=" ".join(moments or []),
        language=language, moments_note=(moments_note or "").strip() or None,
    )
    session.add(callback)
    session.commit()
    return callback


def waiting(session):
    """The requests nobody has handled yet, oldest first, with their topic and any matched seat."""
    return session.execute(
        select(CallbackRequest)
        .where(CallbackRequest.handled_at.is_(None))
        .options(selectinload(CallbackRequest.topic),
                 selectinload(CallbackRequest.matched_slot).selectinload(Slot.location))
        .order_by(CallbackRequest.created_at)
    ).scalars().all()


@dataclass(frozen=True)
class WaitingRequest:
    """A request as the desk's day view lists it: plain values, read on every refresh."""

    id: int
    first_name: str
    phone: str
    moments: str
    moments_note: Optional[str]
    topic: TopicLabel
    match_starts_at: Optional[datetime]   # the seat that freed up, if any
    match_place: Optional[str]


@cache
def _oldest_waiting_statement(limit):
    return (
        select(CallbackRequest.id, CallbackRequest.first_name, CallbackRequest.phone, CallbackRequest.moments,
               CallbackRequest.moments_note, Topic.id.label("topic_id"), Topic.name_fr, Topic.name_en,
               Slot.starts_at, Location.name, func.count().over())
        .join(Topic, CallbackRequest.topic_id == Topic.id)
        .outerjoin(Slot, CallbackRequest.matched_slot_id == Slot.id)
        .outerjoin(Location, Slot.location_id == Location.id)
        .where(CallbackRequest.handled_at.is_(None))
        .order_by(CallbackRequest.created_at, CallbackRequest.id).limit(limit)
    )


def oldest_waiting(session, limit):
    """The `limit` oldest requests nobody has handled, in the order `waiting` gives them, and how
    many wait in all (one statement)."""
    rows = session.execute(_oldest_waiting_statement(limit)).all()
    requests = [
        WaitingRequest(id=request_id, first_name=first_name, phone=phone, moments=moments, moments_note=note,
                       topic=TopicLabel(topic_id, name_fr, name_en), match_starts_at=starts_at, match_place=place)
        for request_id, first_name, phone, moments, note, topic_id, name_fr, name_en, starts_at, place, _ in rows
    ]
    return requests, (rows[0][-1] if rows else 0)


def flag_matches(session, slot_id, topic_id, now):
    """A seat freed up on a topic: flag the waiting requests of that topic for staff (the caller
    commits, with the cancellation or move that freed it)."""
    session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.topic_id == topic_id, CallbackRequest.handled_at.is_(None))
        .values(matched_slot_id=slot_id, matched_at=now)
        .execution_options(synchronize_session=False)
    )


def mark_handled(session, callback, *, by_id, booking=None):
    """Mark the request handled by this member of staff (with the booking made for it, if any),
    unless a colleague did it first; say whether this call did. The caller commits: a booking
    made for the request and its handling are one transaction."""
    result = session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.id == callback.id, CallbackRequest.handled_at.is_(None))
        .values(handled_at=utcnow(), handled_by_id=by_id)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:
        return False
    if booking is None:
        audit.record("callback.handled", callback)
    else:
        audit.record("callback.handled", callback, booking_id=booking.id)
    return True


def anonymise(session, ids, now):
    """Empty the first name, phone and message of these requests (retention, `privacy/`); the topic and
    the times received and handled stay counted. Returns how many were anonymised now."""
    return session.execute(
        update(CallbackRequest).where(CallbackRequest.id.in_(ids), CallbackRequest.anonymised_at.is_(None))
        .values(first_name="", phone="", moments_note=None, anonymised_at=now)
        .execution_options(synchronize_session=False)).rowcount
