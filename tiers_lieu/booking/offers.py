"""Seat offers: a seat that frees up is offered, by message, to the waiting list.

The one module that changes `SeatOffer` rows. When a seat frees (a cancellation, a move, a new
slot from the opening hours), `seat_freed` finds the oldest waiting request it fits (topic,
half-day, at most `MAX_OFFERS` offers, not already offered this slot, no booking of the topic
already) in one statement, and queues a message in the person's language with a link that books
the seat in one tap, all in the caller's transaction: the offer goes out with the cancellation
that freed the seat, or not at all. The seat is not held: whoever takes it first has it
(`reservations.book_from_offer`). Requests that asked for a call are flagged for the
desk instead (`callbacks.flag_matches`), and so are those that asked for a text message once the
centre has switched them off (SMS_PROVIDER=none).
"""
import enum
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cache

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from sqlalchemy import bindparam, exists, literal, select

from ..core.centre import centre_timezone, current_centre
from ..core.links import public_link
from ..database import insert_now
from ..i18n import day_at_time
from ..notify.channels import sms_enabled
from ..notify.service import queue_email, queue_sms
from . import callbacks
from .availability import Window, free_slots
from .callbacks import NotifyBy
from .codes import hash_token
from .models import EXPECTED, Booking, CallbackRequest, SeatOffer, Slot, slot_topic

MAX_OFFERS = 3  # per request: a person who let three seats go is better called by the desk
# Offers go out between these hours, centre time; one freed in the evening waits for the morning.
SENDING_FROM, SENDING_UNTIL = time(9, 0), time(19, 0)
# Only seats in the next two weeks are offered: the person asked because nothing near suited
# them, and the daily generation of the horizon's last day must not spend their three offers on
# slots two months away.
OFFER_WITHIN = timedelta(days=14)


class OfferState(enum.Enum):
    OPEN = "open"            # the seat is free: one tap books it
    TAKEN_BY_YOU = "mine"    # this offer's link booked it already
    GONE = "gone"            # someone else took the seat, or the slot began or was cancelled
    ENDED = "ended"          # the request ended (booked, withdrawn, handled by the desk, too old)


@dataclass(frozen=True)
class Found:
    offer: SeatOffer
    state: OfferState


def sending_time(now, tz):
    """When a message queued now may go: now within the sending hours, else their next start."""
    local = now.astimezone(tz)
    if local.time() < SENDING_FROM:
        day = local.date()
    elif local.time() >= SENDING_UNTIL:
        day = local.date() + timedelta(days=1)
    else:
        return now
    return datetime.combine(day, SENDING_FROM, tzinfo=tz).astimezone(now.tzinfo)


@cache
def _oldest_fitting_statement(channels):
    """The oldest waiting request a freed seat fits, among those to hear of it by one of these
    `channels`, in one statement on ix_callback_request_open."""
    holds_topic_booking = exists(
        select(literal(1)).select_from(Booking.__table__.join(Slot.__table__, Booking.slot_id == Slot.id))
        .where(Booking.topic_id == CallbackRequest.topic_id, Booking.status.in_(EXPECTED),
               Slot.starts_at > bindparam("now"),
               (Booking.phone == CallbackRequest.phone) | (Booking.email == CallbackRequest.email))
    )
    offered_already = exists(
        select(literal(1)).where(SeatOffer.request_id == CallbackRequest.id, SeatOffer.slot_id == bindparam("slot_id"))
    )
    serves_topic = select(slot_topic.c.topic_id).where(slot_topic.c.slot_id == bindparam("slot_id"))
    return (
        select(CallbackRequest)
        .where(CallbackRequest.topic_id.in_(serves_topic), callbacks.open_requests(bindparam("cutoff")),
               CallbackRequest.notify_by.in_(channels), CallbackRequest.offers_sent < MAX_OFFERS,
               callbacks.fits(bindparam("bit")), ~offered_already, ~holds_topic_booking)
        .order_by(CallbackRequest.created_at, CallbackRequest.id)
        .limit(1)
    )


def seat_freed(session, slot, rules, now, seats=1):
    """`seats` seats are free on `slot` (a Slot with its topics): offer each to the oldest waiting
    request it fits, and flag it for the desk's callers; return the offers made (not committed)."""
    if slot is None:
        return []
    tz = centre_timezone()
    bit = callbacks.slot_moment_bit(slot.starts_at, tz)
    sms = sms_enabled(current_app.config)
    callbacks.flag_matches(session, slot.id, [topic.id for topic in slot.topics], bit, rules, now, sms=sms)
    window = Window.for_rules(rules, now)
    goes_at = sending_time(now, tz)
    # None when the message would reach the person too late to book, or the slot is not bookable
    # online: the same notice as the booking form's, counted from when the message goes.
    if (slot.cancelled or not slot.offered or slot.starts_at > min(window.latest, now + OFFER_WITHIN)
            or slot.starts_at < goes_at + timedelta(minutes=rules.min_notice_minutes)):
        return []
    made = []
    for _ in range(seats):
        request = session.execute(_oldest_fitting_statement(callbacks.offered_by_message(sms)), {
            "slot_id": slot.id, "now": now, "cutoff": callbacks.cutoff(rules, now), "bit": bit,
        }).scalar_one_or_none()
        if request is None:
            break
        made.append(_offer(session, request, slot, now, goes_at))
    return made


def _offer(session, request, slot, now, goes_at):
    token = secrets.token_urlsafe(32)
    offer = insert_now(session, SeatOffer, request_id=request.id, slot_id=slot.id, token_hash=hash_token(token),
                       created_at=now)
    callbacks.count_offer(session, request.id)
    link = public_link("booking.offer", token=token, lang=request.language)
    with force_locale(request.language):
        context = {"request": request, "slot": slot, "when": day_at_time(slot.starts_at), "link": link,
                   "centre": current_centre(), "topic": request.topic}
        if request.notify_by == NotifyBy.EMAIL.value and request.email:
            subject, body = _compose(context, "email")
            queue_email(session, to=request.email, subject=subject, body=body, language=request.language,
                        kind="seat_offer", not_before=goes_at)
        else:
            queue_sms(session, to=request.phone, body=_compose(context, "sms")[1], language=request.language,
                      kind="seat_offer", not_before=goes_at)
    return offer


def _compose(context, channel):
    text = render_template(f"booking/messages/offer_{channel}.txt", **context)
    if channel == "sms":
        return None, " ".join(text.split())
    return gettext("A seat is free: %(when)s", when=context["when"]), text.strip() + "\n"


def find(session, token, rules, now):
    """The offer behind a link, and what it can still do; None for a link that is not one."""
    if not token or len(token) > 100:
        return None
    offer = session.execute(select(SeatOffer).where(SeatOffer.token_hash == hash_token(token))).scalar_one_or_none()
    if offer is None:
        return None
    request = offer.request
    if offer.booking_id is not None:
        booking = session.get(Booking, offer.booking_id)
        # Its details erased since: the link now leads nowhere, as the booking's own does.
        return Found(offer, OfferState.TAKEN_BY_YOU if booking.request_key else OfferState.ENDED)
    if (request.ended_at is not None or request.handled_at is not None or request.anonymised_at is not None
            or request.created_at < callbacks.cutoff(rules, now)):
        return Found(offer, OfferState.ENDED)
    slot = offer.slot
    if slot.cancelled or not slot.offered or slot.seats_taken >= slot.capacity or slot.starts_at <= now:
        return Found(offer, OfferState.GONE)
    return Found(offer, OfferState.OPEN)


def fitting_slots(session, request, rules, now, limit=5, excluding=None):
    """The next free slots that fit the request (topic, half-days), soonest first."""
    tz = centre_timezone()
    # The half-days are tested here: a few hundred free slots of a topic at most, with their place.
    candidates = free_slots(session, Window.for_rules(rules, now), request.topic_id, limit=200)
    found = []
    for slot in candidates:
        bit = callbacks.slot_moment_bit(slot.starts_at, tz)
        if slot.id != excluding and (request.moment_mask == 0 or request.moment_mask & bit):
            found.append(slot)
            if len(found) == limit:
                break
    return found


def withdraw(session, found, now):
    """The person no longer needs a seat: end their request (once); commit."""
    ended = callbacks.end(session, found.offer.request_id, "withdrawn", now)
    session.commit()
    return ended
