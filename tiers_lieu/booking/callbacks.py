"""Call-back requests: residents who found no slot and asked the centre to call them.

The one module that changes `CallbackRequest` rows: the public form receives them, the booking
service flags them when a seat of their topic frees up, and the desk marks them handled (by
hand, or by booking for the resident).
"""
from functools import cache

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, selectinload

from .. import audit
from ..database import utcnow
from .models import CallbackRequest, Slot


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


@cache
def _oldest_waiting_statement(limit):
    # Many-to-one relations joined in: the desk's day view shows these on every refresh.
    return (
        select(CallbackRequest, func.count().over())
        .where(CallbackRequest.handled_at.is_(None))
        .options(joinedload(CallbackRequest.topic),
                 joinedload(CallbackRequest.matched_slot).joinedload(Slot.location))
        .order_by(CallbackRequest.created_at, CallbackRequest.id).limit(limit)
    )


def oldest_waiting(session, limit):
    """The `limit` oldest requests nobody has handled, as `waiting` gives them, and how many wait
    in all (one statement)."""
    rows = session.execute(_oldest_waiting_statement(limit)).all()
    return [row[0] for row in rows], (rows[0][1] if rows else 0)


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
