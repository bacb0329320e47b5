"""Queue messages in the caller's transaction; deliver them later, with retries.

The booking code calls `queue_email` / `queue_sms` inside its own transaction, so that a message
exists if and only if the booking change committed. `flask notify send` calls `deliver_pending`
every minute. Several runs may overlap (a slow SMTP server, two hosts): each message is claimed by
one conditional UPDATE before it is sent, so only one run sends it. Only a run that dies between
sending and recording the outcome can cause a second copy, when the message is recovered.
"""
import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import case, select, update

from ..database import insert_now, utcnow
from .channels import sms_enabled
from .models import Channel, DeliveryAttempt, MessageStatus, OutboxMessage

log = logging.getLogger(__name__)

# Waits after the 1st to 5th failed attempts; the 6th failure is final.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
# A message still `sending` this long after it was claimed belongs to a run that crashed.
CLAIM_LIFETIME = timedelta(minutes=15)
INTERRUPTED = "Interrupted: the run sending it stopped before recording an outcome"
PHONE_RE = re.compile(r"\+[1-9]\d{6,14}")
ERROR_LENGTH = 200


class DeliveryError(Exception):
    """A sender could not deliver a message; the text names the cause without personal data.
    `final`: trying again cannot help (SMS switched off), so the message fails at once."""

    def __init__(self, cause, *, final=False):
        super().__init__(cause)
        self.final = final


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    recovered: int = 0


def queue_email(session, *, to, subject, body, language, kind, html_body=None, booking_id=None,
                dedup_key=None, not_before=None):
    """Add an e-mail to the caller's transaction; return it, or the one queued under dedup_key.
    `not_before`: the message waits until then (a seat offer freed at night goes in the morning)."""
    try:
        validate_email(to, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError("not an e-mail address") from None
    if "\n" in subject or "\r" in subject:
        raise ValueError("an e-mail subject is one line")
    return _queue(session, dedup_key, channel=Channel.EMAIL.value, recipient=to, subject=subject,
                  body=body, html_body=html_body, language=language, kind=kind,
                  booking_id=booking_id, **_due(not_before))


def queue_sms(session, *, to, body, language, kind, booking_id=None, dedup_key=None, not_before=None):
    """Add an SMS to the caller's transaction; return it, or the one queued under dedup_key, or
    None when this centre sends no text messages (SMS_PROVIDER=none)."""
    if not sms_enabled(current_app.config):
        return None
    if not PHONE_RE.fullmatch(to):
        raise ValueError("an SMS goes to an E.164 number such as +33612345678")
    return _queue(session, dedup_key, channel=Channel.SMS.value, recipient=to, body=body,
                  language=language, kind=kind, booking_id=booking_id, **_due(not_before))


def _due(not_before):
    return {} if not_before is None else {"next_attempt_at": not_before}


def _queue(session, dedup_key, **fields):
    if fields["language"] not in current_app.config["LANGUAGES"]:
        raise ValueError(f"unsupported language {fields['language']!r}")
    if dedup_key is not None:
        # A message queued earlier in this transaction is found too: it is inserted at once.
        existing = session.execute(
            select(OutboxMessage).where(OutboxMessage.dedup_key == dedup_key)
        ).scalar_one_or_none()
        if existing is not None:
            return existing
    # No commit: the message is saved with the change it tells about, or not at all.
    return insert_now(session, OutboxMessage, dedup_key=dedup_key, **fields)


def retry_delay(attempts):
    """Return the wait after this many failed attempts, or None when it is time to give up."""
    return BACKOFF[attempts - 1] if attempts < MAX_ATTEMPTS else None


def deliver_pending(session, *, now=None, email_sender, sms_sender, limit=100):
    """Send the messages that are due, recover those of crashed runs, and report what happened."""
    # A fixed `now` pins every timestamp (tests); otherwise the clock runs through a long batch,
    # so that a claim made late in the batch lasts its full lifetime.
    clock = utcnow if now is None else (lambda: now)
    senders = {Channel.EMAIL.value: email_sender, Channel.SMS.value: sms_sender}
    report = DeliveryReport(recovered=_recover_interrupted(session, clock(), senders))
    due = session.execute(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == MessageStatus.PENDING.value,
               OutboxMessage.next_attempt_at <= clock())
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ).scalars().all()
    session.commit()
    for message_id in due:
        if not _claim(session, message_id, clock()):
            continue  # another run got it first
        message = session.get(OutboxMessage, message_id)
        claim = (message_id, message.attempts)
        sender = senders[message.channel]
        try:
            if message.channel == Channel.EMAIL.value:
                sender.send(message)
            else:
                sender.send(message.recipient, message.body, message_id=message_id)
        except DeliveryError as error:
            status = _record_failure(session, claim, str(error), sender.provider, clock(), final=error.final)
            if status == MessageStatus.FAILED:
                report.failed += 1
            else:
                report.retried += 1
        else:
            _record_success(session, claim, sender.provider, clock())
            report.sent += 1
    return report


def _claim(session, message_id, now):
    """Mark a due message as ours to send, committed before sending; False if another run has it."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id,
               OutboxMessage.status == MessageStatus.PENDING.value,
               OutboxMessage.next_attempt_at <= now)
        .values(status=MessageStatus.SENDING.value,
                attempts=OutboxMessage.attempts + 1,
                next_attempt_at=now + CLAIM_LIFETIME)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def _update_claimed(session, claim, **values):
    """Update a message only while the claim holds; return whether it did.

    A claim is a message id and the attempt number its UPDATE set, so a run that overran the
    claim's lifetime cannot overwrite what the run that recovered the message has done since.
    """
    message_id, attempts = claim
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id,
               OutboxMessage.status == MessageStatus.SENDING.value,
               OutboxMessage.attempts == attempts)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _settle(session, claim, *, error, provider, now, **values):
    """Record an attempt's outcome, and apply it to the message if the claim still holds."""
    applied = _update_claimed(session, claim, last_error=error, **values)
    session.add(DeliveryAttempt(message_id=claim[0], at=now, ok=error is None, error=error,
                                provider=provider))
    session.commit()
    if not applied:
        log.warning("message %s: outcome of attempt %s came after its claim lapsed", *claim)


def _record_success(session, claim, provider, now):
    _settle(session, claim, error=None, provider=provider, now=now,
            status=MessageStatus.SENT.value, sent_at=now)
    log.info("message %s sent by %s", claim[0], provider)


def _record_failure(session, claim, error, provider, now, final=False):
    """Schedule the next attempt, or give up after the last one; return the message's new status."""
    message_id, attempts = claim
    error = error[:ERROR_LENGTH]
    delay = None if final else retry_delay(attempts)
    if delay is None:
        _settle(session, claim, error=error, provider=provider, now=now,
                status=MessageStatus.FAILED.value)
        log.warning("message %s failed for good after %s attempts: %s", message_id, attempts, error)
        return MessageStatus.FAILED
    _settle(session, claim, error=error, provider=provider, now=now,
            status=MessageStatus.PENDING.value, next_attempt_at=now + delay)
    log.warning("message %s: attempt %s failed (%s); next in %s",
                message_id, attempts, error, delay)
    return MessageStatus.PENDING


def _recover_interrupted(session, now, senders):
    """Requeue the messages of a run that crashed mid-send, or fail those on their last try."""
    stale = session.execute(
        select(OutboxMessage.id, OutboxMessage.attempts, OutboxMessage.channel)
        .where(OutboxMessage.status == MessageStatus.SENDING.value,
               OutboxMessage.next_attempt_at <= now)
    ).all()
    recovered = 0
    for message_id, attempts, channel in stale:
        status = MessageStatus.PENDING if retry_delay(attempts) else MessageStatus.FAILED
        # Of two runs recovering the same message at once, only one gets to record it.
        if _update_claimed(session, (message_id, attempts), status=status.value,
                           next_attempt_at=now, last_error=INTERRUPTED):
            # The provider configured now is, most likely, the one the crashed run used.
            session.add(DeliveryAttempt(message_id=message_id, at=now, ok=False, error=INTERRUPTED,
                                        provider=senders[channel].provider))
            recovered += 1
            log.warning("message %s: attempt %s was interrupted; now %s", message_id, attempts,
                        status.value)
    session.commit()
    return recovered


def withdraw_pending(session, dedup_key):
    """Withdraw the message queued under `dedup_key` if no sender has picked it up yet (the reminder
    of a booking cancelled, moved to another day, or no longer wanted); the row stays, so that
    queueing it again finds it. Not committed. Returns whether one was withdrawn."""
    return session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.dedup_key == dedup_key, OutboxMessage.status == MessageStatus.PENDING.value)
        .values(status=MessageStatus.WITHDRAWN.value)
        .execution_options(synchronize_session=False)).rowcount == 1


def restore_withdrawn(session, dedup_key):
    """Put back in the queue a message `withdraw_pending` took out (the booking moved back, or the
    resident changed their mind); one emptied by retention or erasure stays out. Not committed.
    Returns whether one was."""
    return session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.dedup_key == dedup_key, OutboxMessage.status == MessageStatus.WITHDRAWN.value,
               OutboxMessage.anonymised_at.is_(None))
        .values(status=MessageStatus.PENDING.value)
        .execution_options(synchronize_session=False)).rowcount == 1


def anonymise(session, ids, now):
    """Empty the recipient and the text of these messages (retention and erasure, `privacy/`); the
    channel, kind, status and delivery attempts stay counted. A message not sent yet is withdrawn:
    the sender never picks it up. Returns how many were anonymised now."""
    not_sent = (MessageStatus.PENDING.value, MessageStatus.SENDING.value)
    return session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.anonymised_at.is_(None))
        .values(recipient="", subject=None, body="", html_body=None, anonymised_at=now,
                status=case((OutboxMessage.status.in_(not_sent), MessageStatus.WITHDRAWN.value),
                            else_=OutboxMessage.status))
        .execution_options(synchronize_session=False)).rowcount
