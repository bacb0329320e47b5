"""Call-back requests, the waiting list: residents who found no slot that suits them.

The one module that changes `CallbackRequest` rows: the public form receives them with the
half-days that suit the person and how they want to hear of a seat; a freed seat that fits is
offered to the oldest by message (`offers.py`, which ends a request when booked or withdrawn) or
flagged for the desk when the person asked for a call; the desk marks them handled (by hand, or by
booking for the resident). A request still open after the rules' `callback_weeks` has ended.
"""
import enum
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cache
from typing import Optional

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.orm import selectinload

from .. import audit
from ..database import utcnow
from .models import CallbackRequest, Location, Slot, Topic, TopicLabel


class NotifyBy(str, enum.Enum):
    """How a person on the waiting list hears of a seat that fits."""

    SMS = "sms"        # an offer by text message, sent by itself
    EMAIL = "email"    # an offer by e-mail, sent by itself
    CALL = "call"      # the desk sees the match and calls


OFFERED = (NotifyBy.SMS.value, NotifyBy.EMAIL.value)


def offered_by_message(sms):
    """The ways of hearing that get an offer sent by itself: text messages only while the centre
    sends them (`notify.channels.sms_enabled`)."""
    return OFFERED if sms else (NotifyBy.EMAIL.value,)


def called_by_desk(sms):
    """The ways of hearing whose matches the desk calls: once text messages are switched off,
    those who had asked for one before the switch are called rather than left waiting."""
    return (NotifyBy.CALL.value,) if sms else (NotifyBy.CALL.value, NotifyBy.SMS.value)


# The half-days a person may say suit them: Monday to Saturday, morning or afternoon. Each is one
# bit of `moment_mask`, so that the offer's query tests a slot's half-day in SQL; no bit set
# means any time.
MOMENT_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat")
HALF_DAYS = ("am", "pm")
MOMENT_BITS = {f"{day}-{half}": 1 << (2 * d + h) for d, day in enumerate(MOMENT_DAYS) for h, half in enumerate(HALF_DAYS)}
AFTERNOON = time(12, 0)  # a slot starting at noon or later is in the afternoon


def moment_mask(moments):
    """The bits of these half-day codes ("mon-am tue-pm"); unknown codes count for nothing."""
    return sum(MOMENT_BITS.get(code, 0) for code in set(moments))


def slot_moment_bit(starts_at, tz):
    """The bit of the half-day a slot starts in (centre time); 0 on a Sunday, which no request
    names: only requests for any time fit it."""
    local = starts_at.astimezone(tz)
    if local.weekday() >= len(MOMENT_DAYS):
        return 0
    return MOMENT_BITS[f"{MOMENT_DAYS[local.weekday()]}-{HALF_DAYS[local.time() >= AFTERNOON]}"]


def fits(bit):
    """SQL: the request suits a slot of this half-day (any time, or that half-day ticked)."""
    return or_(CallbackRequest.moment_mask == 0, CallbackRequest.moment_mask.op("&")(bit) != 0)


def open_requests(cutoff):
    """SQL: the requests still waiting: not handled by the desk, not ended, not too old, not
    erased (an erased request has no one left to tell)."""
    return and_(CallbackRequest.handled_at.is_(None), CallbackRequest.ended_at.is_(None),
                CallbackRequest.created_at >= cutoff, CallbackRequest.anonymised_at.is_(None))


def cutoff(rules, now):
    """Requests received before this instant have ended (the rules' `callback_weeks`)."""
    return now - timedelta(weeks=rules.callback_weeks)


def receive(session, *, topic_id, first_name, phone, language, moments=(), moments_note=None,
            notify_by=NotifyBy.CALL.value, email=None):
    """Record a resident's request to be told of a seat on a topic, and commit."""
    callback = CallbackRequest(
        topic_id=topic_id, first_name=first_name.strip(), phone=phone, moments=" ".join(moments or []),
        moment_mask=moment_mask(moments or []), language=language,
        moments_note=(moments_note or "").strip() or None, notify_by=NotifyBy(notify_by).value,
        email=email or None,
    )
    session.add(callback)
    session.commit()
    return callback


def waiting(session, rules, now):
    """The requests still waiting, oldest first, with their topic and any matched seat."""
    return session.execute(
        select(CallbackRequest)
        .where(open_requests(cutoff(rules, now)))
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
    notify_by: str
    offers_sent: int
    language: str
    topic: TopicLabel
    match_starts_at: Optional[datetime]   # the seat that freed up, if any
    match_place: Optional[str]


@cache
def _oldest_waiting_statement(limit):
    return (
        select(CallbackRequest.id, CallbackRequest.first_name, CallbackRequest.phone, CallbackRequest.moments,
               CallbackRequest.moments_note, CallbackRequest.notify_by, CallbackRequest.offers_sent,
               CallbackRequest.language, Topic.id.label("topic_id"), Topic.name_fr, Topic.name_en,
               Slot.starts_at, Location.name, func.count().over())
        .join(Topic, CallbackRequest.topic_id == Topic.id)
        .outerjoin(Slot, CallbackRequest.matched_slot_id == Slot.id)
        .outerjoin(Location, Slot.location_id == Location.id)
        .where(open_requests(bindparam("cutoff")))
        .order_by(CallbackRequest.created_at, CallbackRequest.id).limit(limit)
    )


def oldest_waiting(session, limit, rules, now):
    """The `limit` oldest requests still waiting, in the order `waiting` gives them, and how many
    wait in all (one statement)."""
    rows = session.execute(_oldest_waiting_statement(limit), {"cutoff": cutoff(rules, now)}).all()
    requests = [
        WaitingRequest(id=request_id, first_name=first_name, phone=phone, moments=moments, moments_note=note,
                       notify_by=notify_by, offers_sent=offers_sent, language=language,
                       topic=TopicLabel(topic_id, name_fr, name_en), match_starts_at=starts_at, match_place=place)
        for (request_id, first_name, phone, moments, note, notify_by, offers_sent, language, topic_id, name_fr,
             name_en, starts_at, place, _) in rows
    ]
    return requests, (rows[0][-1] if rows else 0)


def flag_matches(session, slot_id, topic_ids, bit, rules, now, sms=True):
    """A seat freed up on a slot of these topics, starting in the half-day `bit`: flag for the desk
    the waiting requests it fits that asked for a call (the caller commits, with the change that
    freed it; `offers.py` tells the others by message). `sms`: whether text messages are sent."""
    session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.topic_id.in_(topic_ids), open_requests(cutoff(rules, now)),
               CallbackRequest.notify_by.in_(called_by_desk(sms)), fits(bit))
        .values(matched_slot_id=slot_id, matched_at=now)
        .execution_options(synchronize_session=False)
    )


def count_offer(session, request_id):
    """One more seat offered to this request (`offers.py`); the caller commits."""
    session.execute(update(CallbackRequest).where(CallbackRequest.id == request_id)
                    .values(offers_sent=CallbackRequest.offers_sent + 1)
                    .execution_options(synchronize_session=False))


def end(session, request_id, reason, now):
    """End a request by itself ("booked" from an offer, "withdrawn" by the person); say whether
    this call ended it (a second click, or the desk first, changes nothing)."""
    return session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.id == request_id, CallbackRequest.ended_at.is_(None),
               CallbackRequest.handled_at.is_(None))
        .values(ended_at=now, end_reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount == 1


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
        .values(first_name="", phone="", email=None, moments_note=None, anonymised_at=now)
        .execution_options(synchronize_session=False)).rowcount
