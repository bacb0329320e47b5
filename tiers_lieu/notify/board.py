"""What the staff see of the outbox: each message's state, its cause of failure, the booking it
belongs to, and the two things staff may do about a message: send it again now, or mark it as
handled (they phoned the person instead).

The messages' texts and addresses stay out of it: the booking (the desk's row, the resident's
file) says whom to call, and a member of staff reads nothing here that the desk does not show.
"""
import enum
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update

from .. import audit
from ..accounts.models import User
from ..booking.models import Booking, Slot
from ..stats.sql import dialect_of, month_of_instant
from .models import Channel, MessageStatus, OutboxMessage


class Shown(str, enum.Enum):
    """A message's state as the staff read it (a pending message that failed once is retrying)."""

    QUEUED = "queued"
    RETRYING = "retrying"
    SENT = "sent"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"

    @property
    def label(self):
        return SHOWN_LABELS[self]


SHOWN_LABELS = {
    Shown.QUEUED: _l("Queued"),
    Shown.RETRYING: _l("Retrying"),
    Shown.SENT: _l("Sent"),
    Shown.FAILED: _l("Failed"),
    Shown.WITHDRAWN: _l("Withdrawn"),
}

KIND_LABELS = {
    "confirmation": _l("Confirmation"),
    "change": _l("Change of appointment"),
    "cancellation": _l("Cancellation"),
    "cancelled_by_centre": _l("Cancellation by the centre"),
    "reminder": _l("Reminder"),
    "seat_offer": _l("Seat offer (waiting list)"),
    "password_reset": _l("Staff password reset"),
}
CHANNEL_LABELS = {Channel.EMAIL.value: _l("E-mail"), Channel.SMS.value: _l("Text message")}

# Each state, as SQL on the outbox's columns.
_RETRYING = or_(MessageStatus.SENDING.value == OutboxMessage.status,
                and_(OutboxMessage.status == MessageStatus.PENDING.value, OutboxMessage.attempts > 0))
_QUEUED = and_(OutboxMessage.status == MessageStatus.PENDING.value, OutboxMessage.attempts == 0)
STATE_FILTERS = {
    Shown.QUEUED: _QUEUED,
    Shown.RETRYING: _RETRYING,
    Shown.SENT: OutboxMessage.status == MessageStatus.SENT.value,
    Shown.FAILED: OutboxMessage.status == MessageStatus.FAILED.value,
    Shown.WITHDRAWN: OutboxMessage.status == MessageStatus.WITHDRAWN.value,
}


def shown_state(status, attempts):
    if status == MessageStatus.PENDING.value:
        return Shown.RETRYING if attempts else Shown.QUEUED
    if status == MessageStatus.SENDING.value:
        return Shown.RETRYING
    return Shown(status)


@dataclass(frozen=True)
class MessageRow:
    id: int
    created_at: datetime
    channel: str
    kind: str
    state: Shown
    attempts: int
    next_attempt_at: Optional[datetime]
    sent_at: Optional[datetime]
    cause: Optional[str]
    handled_at: Optional[datetime]
    handled_by: Optional[str]
    booking_id: Optional[int]
    first_name: Optional[str]
    slot_starts_at: Optional[datetime]

    @property
    def kind_label(self):
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def channel_label(self):
        return CHANNEL_LABELS.get(self.channel, self.channel)

    @property
    def can_retry(self):
        """A failed message, or one waiting for its next try, may go now; a sent one never again."""
        return self.state in (Shown.FAILED, Shown.RETRYING)

    @property
    def needs_someone(self):
        """A failure nobody dealt with yet."""
        return self.state is Shown.FAILED and self.handled_at is None


def _rows_statement():
    handler = User.__table__.alias("handler")
    return (
        select(OutboxMessage.id, OutboxMessage.created_at, OutboxMessage.channel, OutboxMessage.kind,
               OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.next_attempt_at,
               OutboxMessage.sent_at, OutboxMessage.last_error, OutboxMessage.handled_at,
               handler.c.display_name.label("handled_by"), OutboxMessage.booking_id,
               Booking.first_name, Slot.starts_at.label("slot_starts_at"))
        .outerjoin(Booking, Booking.id == OutboxMessage.booking_id)
        .outerjoin(Slot, Slot.id == Booking.slot_id)
        .outerjoin(handler, handler.c.id == OutboxMessage.handled_by_id)
    )


def _row(row):
    return MessageRow(
        id=row.id, created_at=row.created_at, channel=row.channel, kind=row.kind,
        state=shown_state(row.status, row.attempts), attempts=row.attempts,
        next_attempt_at=row.next_attempt_at, sent_at=row.sent_at, cause=row.last_error,
        handled_at=row.handled_at, handled_by=row.handled_by, booking_id=row.booking_id,
        first_name=row.first_name, slot_starts_at=row.slot_starts_at)


@dataclass(frozen=True)
class MessageList:
    rows: list
    total: int
    counts: dict      # Shown → how many in the period, whatever the filter


def recent(session, *, since, state=None, page=1, per_page=50):
    """The messages queued since `since`, newest first, optionally of one state, one page of them."""
    query = _rows_statement().where(OutboxMessage.created_at >= since)
    counts = Counter()
    # Grouped by the attempts themselves (0 to 6): a handful of rows, folded here.
    for status, attempts, number in session.execute(
            select(OutboxMessage.status, OutboxMessage.attempts, func.count())
            .where(OutboxMessage.created_at >= since)
            .group_by(OutboxMessage.status, OutboxMessage.attempts)):
        counts[shown_state(status, attempts)] += number
    if state is not None:
        query = query.where(STATE_FILTERS[state])
    total = counts[state] if state is not None else sum(counts.values())
    rows = session.execute(query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
                           .limit(per_page).offset((page - 1) * per_page)).all()
    return MessageList([_row(row) for row in rows], total, {shown: counts[shown] for shown in Shown})


def needing_attention(session, *, bookings_from):
    """The messages about appointments from `bookings_from` on that failed and nobody handled, or
    that are waiting for another try: what the desk's panel shows facilitators."""
    query = (_rows_statement()
             .where(OutboxMessage.booking_id.is_not(None), Slot.starts_at >= bookings_from,
                    or_(and_(OutboxMessage.status == MessageStatus.FAILED.value,
                             OutboxMessage.handled_at.is_(None)), _RETRYING))
             .order_by(Slot.starts_at, OutboxMessage.id))
    return [_row(row) for row in session.execute(query)]


def failures_by_booking(session, booking_ids):
    """{booking id: [(kind, channel), …]} of the failed messages nobody handled yet, for the desk's
    rows: one statement, whatever the number of bookings."""
    if not booking_ids:
        return {}
    found = {}
    for booking_id, kind, channel in session.execute(
            select(OutboxMessage.booking_id, OutboxMessage.kind, OutboxMessage.channel)
            .where(OutboxMessage.booking_id.in_(booking_ids),
                   OutboxMessage.status == MessageStatus.FAILED.value,
                   OutboxMessage.handled_at.is_(None))
            .order_by(OutboxMessage.id)):
        found.setdefault(booking_id, []).append((kind, channel))
    return found


def find(session, message_id):
    row = session.execute(_rows_statement().where(OutboxMessage.id == message_id)).one_or_none()
    return None if row is None else _row(row)


def retry_now(session, message_id, now):
    """Make a failed or retrying message due at once; `flask notify send` takes it within a minute.

    A message sent meanwhile, withdrawn, or emptied by retention is left alone (returns False). A
    failed message gets one more try: if it fails again, it is failed again. Not committed.
    """
    changed = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.anonymised_at.is_(None),
               or_(OutboxMessage.status == MessageStatus.FAILED.value,
                   and_(OutboxMessage.status == MessageStatus.PENDING.value, OutboxMessage.attempts > 0)))
        .values(status=MessageStatus.PENDING.value, next_attempt_at=now, handled_at=None,
                handled_by_id=None)
        .execution_options(synchronize_session=False)).rowcount == 1
    if changed:
        audit.record("message.retry", session.get(OutboxMessage, message_id))
    return changed


def mark_handled(session, message_id, user, now):
    """Record that a member of staff dealt with a failed message otherwise (a call); False when it
    is not failed, or was handled already. Not committed."""
    changed = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == MessageStatus.FAILED.value,
               OutboxMessage.handled_at.is_(None))
        .values(handled_at=now, handled_by_id=user.id)
        .execution_options(synchronize_session=False)).rowcount == 1
    if changed:
        audit.record("message.handled", session.get(OutboxMessage, message_id), actor=user)
    return changed


def sent_per_month(session, *, since, tz):
    """[(month "2026-11", {channel: count})] of the messages sent since `since`, newest first: SMS
    cost the centre money, e-mail does not."""
    month = month_of_instant(dialect_of(session), OutboxMessage.sent_at, tz)
    counts = {}
    for month_text, channel, number in session.execute(
            select(month, OutboxMessage.channel, func.count())
            .where(OutboxMessage.status == MessageStatus.SENT.value, OutboxMessage.sent_at >= since)
            .group_by(month, OutboxMessage.channel)):
        counts.setdefault(month_text, {})[channel] = number
    return sorted(counts.items(), reverse=True)
