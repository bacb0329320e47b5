"""`flask privacy purge`, run nightly: apply the retention settings to every kind of personal data.

Each rule names what is due (a SELECT of ids, oldest first) and who anonymises or deletes it: the
module that owns that kind of row (`reservations.anonymise`, `directory.anonymise`…), whose one
UPDATE per batch empties what names or reaches a person and keeps what the statistics count
(statuses, dates, slots, topics, the link of a session to the person it helped).

The purge works in batches: each batch takes its ids afresh, changes them and commits, so memory
stays flat whatever the backlog, and a purge stopped at any moment (a crash, a deploy) leaves every
row either untouched or fully anonymised; the next run goes on where it stopped. On PostgreSQL a batch holds a transaction-level advisory lock, so two purges started at
once take turns batch by batch instead of changing the same rows twice; on SQLite writes take turns
anyway, and a row already anonymised is skipped, so not counted twice.
"""
import gc
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, or_, select, text

from .. import audit
from ..accounts import service as accounts
from ..accounts.models import StaffSession
from ..audit import AuditEvent
from ..booking import callbacks, reservations
from ..booking.availability import booking_rules
from ..booking.models import Booking, CallbackRequest, Slot
from ..core.centre import centre_timezone
from ..desk.models import Attendee, HelpSession, QueueTicket, Resident
from ..desk.reception import queue
from ..desk.residents import directory
from ..desk.sessions import log as session_log
from ..notify import service as outbox
from ..notify.models import MessageStatus, OutboxMessage
from . import retention

log = logging.getLogger(__name__)

BATCH_SIZE = 500
ADVISORY_LOCK = 0x70757267  # "purg"


@dataclass(frozen=True)
class Rule:
    name: str
    label: object
    due: Callable       # (retention, now, today, booking rules) -> SELECT of the ids due, oldest first
    apply: Callable     # (session, ids, now) -> rows changed


def _local_day(instant):
    return instant.astimezone(centre_timezone()).date()


def _start_of_local_day(day):
    return datetime.combine(day, datetime.min.time(), tzinfo=centre_timezone()).astimezone(timezone.utc)


def _bookings_due(kept, now, today, rules):
    return (select(Booking.id).join(Slot, Slot.id == Booking.slot_id)
            .where(Slot.starts_at < kept.cutoff("booking_months", now), Booking.anonymised_at.is_(None))
            .order_by(Booking.id))


def _residents_due(kept, now, today, rules):
    """Residents with no appointment, session nor visit since the cutoff (and not recorded since)."""
    cutoff = kept.cutoff("resident_months", now)
    booked_since = (select(Booking.id).join(Slot, Slot.id == Booking.slot_id)
                    .where(Booking.resident_id == Resident.id, Slot.starts_at >= cutoff))
    helped_since = (select(Attendee.id).join(HelpSession, HelpSession.id == Attendee.session_id)
                    .where(Attendee.resident_id == Resident.id, HelpSession.day >= _local_day(cutoff)))
    came_since = select(QueueTicket.id).where(QueueTicket.resident_id == Resident.id, QueueTicket.issued_at >= cutoff)
    return (select(Resident.id)
            .where(Resident.anonymised_at.is_(None), Resident.created_at < cutoff,
                   ~exists(booked_since), ~exists(helped_since), ~exists(came_since))
            .order_by(Resident.id))


def _notes_due(kept, now, today, rules):
    return (select(HelpSession.id)
            .where(HelpSession.day < _local_day(kept.cutoff("resident_months", now)), HelpSession.note.is_not(None))
            .order_by(HelpSession.id))


def _callbacks_due(kept, now, today, rules):
    """Requests that ended (handled, booked or withdrawn; or left waiting past the booking rules'
    weeks, when they end by themselves) before the retention's cutoff."""
    cutoff = kept.cutoff("callback_months", now)
    return (select(CallbackRequest.id)
            .where(or_(func.coalesce(CallbackRequest.handled_at, CallbackRequest.ended_at) < cutoff,
                       and_(CallbackRequest.handled_at.is_(None), CallbackRequest.ended_at.is_(None),
                            CallbackRequest.created_at < cutoff - timedelta(weeks=rules.callback_weeks))),
                   CallbackRequest.anonymised_at.is_(None))
            .order_by(CallbackRequest.id))


def _messages_due(kept, now, today, rules):
    delivered_or_failed = func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at)
    return (select(OutboxMessage.id)
            .where(OutboxMessage.status.in_((MessageStatus.SENT.value, MessageStatus.FAILED.value)),
                   delivered_or_failed < kept.cutoff("message_months", now), OutboxMessage.anonymised_at.is_(None))
            .order_by(OutboxMessage.id))


def _tickets_due(kept, now, today, rules):
    return (select(QueueTicket.id)
            .where(QueueTicket.issued_at < _start_of_local_day(today), QueueTicket.first_name.is_not(None))
            .order_by(QueueTicket.id))


def _logins_due(kept, now, today, rules):
    return (select(StaffSession.id)
            .where(or_(StaffSession.expires_at < now, StaffSession.revoked_at.is_not(None)))
            .order_by(StaffSession.id))


def _audit_authors_due(kept, now, today, rules):
    return (select(AuditEvent.id)
            .where(AuditEvent.at < kept.cutoff("audit_author_months", now), AuditEvent.actor_id.is_not(None))
            .order_by(AuditEvent.id))


RULES = (
    Rule("bookings", _l("Appointments (contact details emptied)"), _bookings_due, reservations.anonymise),
    Rule("residents", _l("Residents' records (anonymised)"), _residents_due, directory.anonymise),
    Rule("session_notes", _l("Help-session notes (removed)"), _notes_due,
         lambda session, ids, now: session_log.forget_notes(session, ids)),
    Rule("callbacks", _l("Ended call-back requests (emptied)"), _callbacks_due, callbacks.anonymise),
    Rule("messages", _l("Messages to residents (address and text emptied)"), _messages_due, outbox.anonymise),
    Rule("ticket_names", _l("Walk-in tickets of past days (first name removed)"), _tickets_due,
         lambda session, ids, now: queue.forget_names(session, ids)),
    Rule("staff_logins", _l("Ended staff logins (deleted)"), _logins_due,
         lambda session, ids, now: accounts.delete_logins(session, ids)),
    Rule("audit_authors", _l("Audit entries (staff member no longer named)"), _audit_authors_due,
         lambda session, ids, now: audit.forget_authors(session, ids)),
)


def due_now(session, now=None):
    """{rule name: rows the purge would change now}: read only, for the dry run and the settings page."""
    now = now or datetime.now(timezone.utc)
    kept, rules = retention.current(session), booking_rules(session)
    return {rule.name: session.scalar(select(func.count()).select_from(
                rule.due(kept, now, _local_day(now), rules).order_by(None).subquery()))
            for rule in RULES}


def purge(session, now=None, dry_run=False, batch_size=BATCH_SIZE):
    """Apply the retention settings; return {rule name: rows anonymised or deleted} (or due, when a
    dry run)."""
    now = now or datetime.now(timezone.utc)
    if dry_run:
        counts = due_now(session, now)
        session.rollback()
    else:
        counts = _apply(session, now, batch_size)
    log.info("privacy purge%s: %s", " (dry run)" if dry_run else "",
             ", ".join(f"{name}={count}" for name, count in counts.items()))
    return counts


def _apply(session, now, batch_size):
    kept, rules = retention.current(session), booking_rules(session)
    session.rollback()   # every batch below is a transaction of its own
    today = _local_day(now)
    counts = {}
    for rule in RULES:
        due = rule.due(kept, now, today, rules)
        counts[rule.name] = 0
        while True:
            _take_turn(session)
            ids = session.scalars(due.limit(batch_size)).all()
            if not ids:
                session.rollback()
                break
            changed = rule.apply(session, ids, now)
            session.commit()
            counts[rule.name] += changed
            # The batch's statements hold its ids and sit in reference cycles (SQLAlchemy's
            # expressions); left to the collector's own pace they pile up with the backlog. A young
            # collection per batch is cheap and keeps memory flat.
            gc.collect(1)
            if len(ids) < batch_size:
                break
    return counts


def _take_turn(session):
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
