"""The demo's messages: the confirmations its bookings queued, as a week of sending leaves them.

Most went out; one text message failed for good, as when a number no longer exists, so that the
desk's row, its messages panel and /admin/messages show what staff then do. Nothing is sent: the
demo's addresses and numbers are fictional.
"""
from datetime import timedelta

from sqlalchemy import select

from ..database import utcnow
from ..extensions import db
from .models import Channel, DeliveryAttempt, MessageStatus, OutboxMessage
from .service import BACKOFF, MAX_ATTEMPTS

DEMO_PROVIDER = "demo"


def demo_deliveries():
    session = db.session
    if session.execute(select(DeliveryAttempt.id).limit(1)).first() is not None:
        return
    queued = session.execute(
        select(OutboxMessage).where(OutboxMessage.status == MessageStatus.PENDING.value)
        .order_by(OutboxMessage.id)).scalars().all()
    failing = next((message for message in queued if message.channel == Channel.SMS.value), None)
    for message in queued:
        at = message.created_at
        if message is failing:
            for number in range(MAX_ATTEMPTS):
                session.add(DeliveryAttempt(message=message, at=at, ok=False, error="HTTP 503",
                                            provider=DEMO_PROVIDER))
                at += BACKOFF[number] if number < len(BACKOFF) else timedelta(0)
            message.status, message.attempts, message.last_error = MessageStatus.FAILED.value, MAX_ATTEMPTS, "HTTP 503"
        else:
            at += timedelta(seconds=40)
            session.add(DeliveryAttempt(message=message, at=at, ok=True, provider=DEMO_PROVIDER))
            message.status, message.attempts, message.sent_at = MessageStatus.SENT.value, 1, at
        message.next_attempt_at = min(at, utcnow())
    session.commit()
