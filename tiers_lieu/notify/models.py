import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import db


class Channel(str, enum.Enum):
    EMAIL = "email"
    SMS = "sms"


class MessageStatus(str, enum.Enum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    # Not sent because its recipient's details were erased before it went (privacy/rights.py).
    WITHDRAWN = "withdrawn"


class OutboxMessage(db.Model):
    """A message to a resident, queued in the transaction of the change it tells about."""

    __table_args__ = (
        # The sender's only query: what is due (pending), or claimed too long ago (sending).
        Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    channel: Mapped[str] = mapped_column(String(10))
    # An e-mail address or an E.164 phone number.
    recipient: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(5))
    subject: Mapped[Optional[str]] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[Optional[str]] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=MessageStatus.PENDING.value)
    # Tries started, including one interrupted by a crash.
    attempts: Mapped[int] = mapped_column(default=0)
    # When a pending message is due; while it is sending, when its sender's claim lapses.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # The exception class and SMTP or HTTP code, never the address or the text.
    last_error: Mapped[Optional[str]] = mapped_column(String(200))
    # No foreign key yet: the booking table arrives in another migration.
    booking_id: Mapped[Optional[int]] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(30))
    # Queueing again under the same key (e.g. "reminder:42") returns the message already queued.
    dedup_key: Mapped[Optional[str]] = mapped_column(String(120), unique=True)
    # A failed message the staff dealt with otherwise (they phoned): it no longer asks for them.
    handled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    # Set when retention emptied the recipient and the text; the status and attempts stay counted.
    anonymised_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    delivery_attempts: Mapped[list["DeliveryAttempt"]] = relationship(
        back_populates="message", cascade="all, delete-orphan", passive_deletes=True,
        order_by="DeliveryAttempt.id",
    )

    def __repr__(self):
        return f"<OutboxMessage {self.id} {self.channel} {self.kind} {self.status}>"


class DeliveryAttempt(db.Model):
    """One try at delivering a message, and its outcome."""

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ok: Mapped[bool]
    # Same rule as OutboxMessage.last_error: no personal data.
    error: Mapped[Optional[str]] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(20))

    message: Mapped[OutboxMessage] = relationship(back_populates="delivery_attempts")
