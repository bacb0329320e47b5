"""Audit trail of staff actions on personal data and settings.

Details name what changed (field names, roles, ids), never the personal values themselves.
"""
from datetime import datetime
from typing import Optional

from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .database import UTCDateTime, utcnow
from .extensions import db


class AuditEvent(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[Optional[int]]
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    actor = relationship("User")


def record(action, target, actor=None, **details):
    """Add an audit event to the current transaction; it is saved with the change it describes."""
    if actor is None and current_user and current_user.is_authenticated:
        actor = current_user
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=type(target).__name__.lower(),
        target_id=getattr(target, "id", None),
        details=details,
    )
    db.session.add(event)
    return event
