"""The walk-in queue: numbered tickets of the day, called in order of arrival.

Two rules hold whatever the number of facilitators and workers: a number is given once a day
(the unique constraint on (day, number) backs it; a clash is retried with the next number), and a
ticket is called once (one conditional UPDATE `… WHERE status = 'waiting'`; a loser moves on to
the next ticket).
"""
import enum
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Optional

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from ... import audit
from ...accounts.models import User
from ...booking.models import Topic, TopicLabel
from ...database import utcnow
from ..models import QueueTicket, TicketSource, TicketStatus, ticket_label

ISSUE_ATTEMPTS = 20
DESK_LABEL_MAX = 20
DISPLAYED_CALLS = 6

class QueueRefusal(enum.Enum):
    NOT_TODAY = "not_today"          # a ticket of another day
    NOT_CALLED = "not_called"        # served before being called
    CLOSED = "closed"                # already served or gone


class QueueRefused(Exception):
    def __init__(self, reason):
        super().__init__(reason.value)
        self.reason = reason


def issue(session, *, day, topic_id=None, first_name=None, source=TicketSource.DESK, booking_id=None,
          resident_id=None, now=None, commit=True):
    """Give the next number of the day to someone waiting; return the ticket (committed).

    The number is the day's highest plus one; when another request took it at the same moment,
    the unique constraint refuses the second insert and we try again with the next one.
    """
    now = now or utcnow()
    for _ in range(ISSUE_ATTEMPTS):
        number = (session.execute(select(func.max(QueueTicket.number)).where(QueueTicket.day == day))
                  .scalar_one() or 0) + 1
        ticket = QueueTicket(day=day, number=number, topic_id=topic_id, first_name=first_name or None,
                             source=TicketSource(source).value, booking_id=booking_id, resident_id=resident_id,
                             status=TicketStatus.WAITING.value, issued_at=now)
        session.add(ticket)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            continue
        if commit:
            session.commit()
        return ticket
    raise RuntimeError("no ticket number could be given after several attempts")


@dataclass(frozen=True)
class InLine:
    """A waiting or called ticket as the desk's day view lists it: plain values, read on every refresh."""

    id: int
    number: int
    first_name: Optional[str]
    status: str
    source: str
    resident_id: Optional[int]
    issued_at: datetime
    called_at: Optional[datetime]
    desk: Optional[str]
    topic: Optional[TopicLabel]
    called_by: Optional[str]    # the facilitator's display name

    @property
    def label(self):
        return ticket_label(self.number)


@dataclass(frozen=True)
class Line:
    """The day's queue as the desk shows it."""

    waiting: list   # first come, first served: in the order they will be called
    called: list    # being served (called, not yet closed), the latest call first


@cache
def _line_statement():
    return (
        select(QueueTicket.id, QueueTicket.number, QueueTicket.first_name, QueueTicket.status, QueueTicket.source,
               QueueTicket.resident_id, QueueTicket.issued_at, QueueTicket.called_at, QueueTicket.desk,
               Topic.id.label("topic_id"), Topic.name_fr, Topic.name_en, User.display_name)
        .outerjoin(Topic, QueueTicket.topic_id == Topic.id)
        .outerjoin(User, QueueTicket.called_by_id == User.id)
        .where(QueueTicket.day == bindparam("day"),
               QueueTicket.status.in_([TicketStatus.WAITING.value, TicketStatus.CALLED.value]))
    )


def line(session, day):
    """The day's waiting and called tickets, with their topic and who called them (one statement)."""
    waiting, called = [], []
    for row in session.execute(_line_statement(), {"day": day}):
        ticket = InLine(
            id=row.id, number=row.number, first_name=row.first_name, status=row.status, source=row.source,
            resident_id=row.resident_id, issued_at=row.issued_at, called_at=row.called_at, desk=row.desk,
            topic=TopicLabel(row.topic_id, row.name_fr, row.name_en) if row.topic_id else None,
            called_by=row.display_name)
        (waiting if ticket.status == TicketStatus.WAITING.value else called).append(ticket)
    waiting.sort(key=lambda ticket: (ticket.issued_at, ticket.number))
    called.sort(key=lambda ticket: (ticket.called_at, ticket.number), reverse=True)
    return Line(waiting=waiting, called=called)


def waiting(session, day):
    """The day's waiting tickets in the order they will be called."""
    return line(session, day).waiting


def waiting_count(session, day):
    return session.execute(
        select(func.count(QueueTicket.id))
        .where(QueueTicket.day == day, QueueTicket.status == TicketStatus.WAITING.value)
    ).scalar_one()


def recent_calls(session, day, limit=DISPLAYED_CALLS):
    """The last tickets called today (number and desk only), for the waiting-room screen."""
    return session.execute(
        select(QueueTicket.number, QueueTicket.desk, QueueTicket.called_at)
        .where(QueueTicket.day == day, QueueTicket.called_at.is_not(None),
               QueueTicket.status.in_([TicketStatus.CALLED.value, TicketStatus.SERVED.value]))
        .order_by(QueueTicket.called_at.desc(), QueueTicket.number.desc())
        .limit(limit)
    ).all()


def call_next(session, *, day, user_id, desk, now=None):
    """Give the first waiting ticket of the day to this facilitator and desk; None if nobody waits.

    Each candidate is claimed by one conditional UPDATE: a colleague who claimed it first makes
    our row count 0, and we try the next one.
    """
    now = now or utcnow()
    while True:
        candidates = session.execute(
            select(QueueTicket.id)
            .where(QueueTicket.day == day, QueueTicket.status == TicketStatus.WAITING.value)
            .order_by(QueueTicket.issued_at, QueueTicket.number)
            .limit(5)
        ).scalars().all()
        if not candidates:
            session.rollback()
            return None
        for ticket_id in candidates:
            result = session.execute(
                update(QueueTicket)
                .where(QueueTicket.id == ticket_id, QueueTicket.status == TicketStatus.WAITING.value)
                .values(status=TicketStatus.CALLED.value, called_at=now, called_by_id=user_id, desk=desk)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                ticket = session.get(QueueTicket, ticket_id, populate_existing=True)
                audit.record("ticket.call", ticket, desk=desk)
                session.commit()  # the call and its audit record together
                return ticket


def recall(session, ticket, *, user_id, desk, day, now=None):
    """Call a called ticket again (the person did not hear): it comes back on top of the screen."""
    now = now or utcnow()
    _check_open(ticket, day)
    result = session.execute(
        update(QueueTicket)
        .where(QueueTicket.id == ticket.id,
               QueueTicket.status.in_([TicketStatus.CALLED.value, TicketStatus.WAITING.value]))
        .values(status=TicketStatus.CALLED.value, called_at=now, called_by_id=user_id, desk=desk)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        raise QueueRefused(QueueRefusal.CLOSED)
    session.commit()
    session.refresh(ticket)
    return ticket


def close(session, ticket, status, *, day, now=None):
    """Mark the ticket served (after being called) or left (the person went away)."""
    now = now or utcnow()
    status = TicketStatus(status)
    _check_open(ticket, day)
    allowed = [TicketStatus.CALLED.value]
    if status is TicketStatus.LEFT:
        allowed.append(TicketStatus.WAITING.value)
    elif ticket.status == TicketStatus.WAITING.value:
        raise QueueRefused(QueueRefusal.NOT_CALLED)
    result = session.execute(
        update(QueueTicket)
        .where(QueueTicket.id == ticket.id, QueueTicket.status.in_(allowed))
        .values(status=status.value, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        raise QueueRefused(QueueRefusal.CLOSED)
    session.commit()
    session.refresh(ticket)
    return ticket


def _check_open(ticket, day):
    if ticket.day != day:
        raise QueueRefused(QueueRefusal.NOT_TODAY)
    if ticket.status in (TicketStatus.SERVED.value, TicketStatus.LEFT.value):
        raise QueueRefused(QueueRefusal.CLOSED)


@dataclass
class Waiting:
    ticket: InLine
    minutes: int


def with_waiting_times(tickets, now):
    return [Waiting(ticket, max(0, int((now - ticket.issued_at).total_seconds() // 60))) for ticket in tickets]


def forget_names(session, ids):
    """Remove the first names of these (past) tickets; the number and times stay counted."""
    return session.execute(
        update(QueueTicket).where(QueueTicket.id.in_(ids), QueueTicket.first_name.is_not(None))
        .values(first_name=None).execution_options(synchronize_session=False)).rowcount
